// `check --live` for the app's own databases and brokers (a compose app's Postgres, Redis, MySQL,
// RabbitMQ…, run as processes of the app): from each environment's networks, those of every other
// environment must neither resolve nor accept a connection, by their stable alias, their container
// name or their address, and a short compose name (`db`) must never resolve to another
// environment's copy. One probe container per environment, attached to all of that environment's
// networks at once, runs every probe in parallel with 3 s timeouts: bounded whatever the count.
// A probe that cannot reach its own environment's copy of the same service proves nothing, so it
// fails as inconclusive rather than passing.
import { randomBytes } from 'node:crypto';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { LABELS } from '../model/labels.ts';
import { processAlias } from '../model/names.ts';
import { listOwned } from './observe.ts';
import type { ServerRun } from './server-run.ts';

/** Data stores and brokers by image name (last path segment, no tag), with the port they listen on. */
export const DATA_SERVICE_PORTS: Readonly<Record<string, number>> = {
  postgres: 5432,
  postgresql: 5432,
  postgis: 5432,
  timescaledb: 5432,
  mysql: 3306,
  mariadb: 3306,
  percona: 3306,
  mongo: 27017,
  mongodb: 27017,
  redis: 6379,
  'redis-stack-server': 6379,
  valkey: 6379,
  keydb: 6379,
  memcached: 11211,
  rabbitmq: 5672,
  kafka: 9092,
  'cp-kafka': 9092,
  zookeeper: 2181,
  'cp-zookeeper': 2181,
  nats: 4222,
  elasticsearch: 9200,
  opensearch: 9200,
  clickhouse: 9000,
  'clickhouse-server': 9000,
  cassandra: 9042,
  couchdb: 5984,
  neo4j: 7687,
  influxdb: 8086,
  minio: 9000,
  etcd: 2379,
  'mssql-server': 1433,
};

/** `docker.io/library/postgres:15@sha256:…` → `postgres`. */
export function imageName(image: string): string {
  return (image.split('@')[0]!.split('/').pop() ?? '').split(':')[0]!.toLowerCase();
}

/**
 * The app processes this check covers: those running a known data store or broker image (a web
 * process that keeps uploads in a volume is covered by the network check). Port: the process's
 * own, else the image's usual one.
 */
export function dataServices(specs: readonly ContainerSpec[]): { spec: ContainerSpec; port: number; kind: string }[] {
  const out: { spec: ContainerSpec; port: number; kind: string }[] = [];
  for (const s of specs) {
    if (s.role !== 'app' || s.replica !== 0) continue;
    const name = imageName(s.image);
    const known = DATA_SERVICE_PORTS[name];
    if (known !== undefined) out.push({ spec: s, port: s.port ?? known, kind: name });
  }
  return out;
}

// argv: `name=HOST:PORT` (resolve, then connect), `ip=ADDR:PORT` (connect), `addr=NAME` (print
// what NAME resolves to). Each probe runs in the background, 3 s at most; all are awaited.
const PROBE = [
  'tcp() { if command -v bash >/dev/null 2>&1; then timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$2" 2>/dev/null; else nc -z -w 3 "$1" "$2" 2>/dev/null; fi; }',
  'for t in "$@"; do',
  '  kind=${t%%=*}; rest=${t#*=}; host=${rest%:*}; port=${rest##*:}',
  '  (',
  '    case $kind in',
  '      name) if timeout 3 getent hosts "$host" >/dev/null 2>&1; then echo "dns $host ok"; else echo "dns $host fail"; fi',
  '            if [ "$port" != 0 ] && tcp "$host" "$port"; then echo "tcp $host:$port ok"; else echo "tcp $host:$port fail"; fi ;;',
  '      ip) if tcp "$host" "$port"; then echo "tcp $host:$port ok"; else echo "tcp $host:$port fail"; fi ;;',
  '      addr) echo "addr $rest $(timeout 3 getent hosts "$rest" 2>/dev/null | while read -r a _; do printf "%s " "$a"; done)" ;;',
  '    esac',
  '  ) &',
  'done',
  'wait',
].join('\n');

/** One result, in isolation-live.ts's LiveCheck shape. */
export interface AppServiceCheck {
  server: string;
  check: 'app-service';
  ok: boolean;
  subject: string;
  message: string;
}

interface Target {
  to: string;
  spec: ContainerSpec;
  port: number;
  kind: string;
  alias: string;
  container: string;
  ips: string[];
  /** Short names it answers to on its networks (compose names), besides the stable alias. */
  shortNames: string[];
  /** The same service in the probing environment: must be reachable (the probe works). */
  control?: string;
}

export async function appServiceChecks(run: ServerRun): Promise<AppServiceCheck[]> {
  const { engine } = run.conn;
  const server = run.conn.server.name;
  const proxy = run.state.containers.find((c) => c.role === 'proxy');
  const envs = [...new Set(run.state.containers.filter((c) => c.role === 'app').map((c) => c.env!))].sort();
  const services = dataServices(run.state.containers);
  if (!proxy || envs.length < 2 || services.length === 0) return [];
  const running = await listOwned(engine, run.fleet.project, { [LABELS.role]: 'app' });
  const targets: Target[] = [];
  for (const { spec, port, kind } of services) {
    const c = running.find(
      (r) =>
        r.labels[LABELS.app] === spec.app &&
        r.labels[LABELS.env] === spec.env &&
        r.labels[LABELS.process] === spec.process &&
        (r.labels[LABELS.replica] ?? '0') === '0',
    );
    if (!c) continue; // not deployed (yet): nothing to reach
    const info = await engine.inspectContainer(c.id);
    const alias = processAlias(spec.app!, spec.env!, spec.process!);
    const shortNames = [...new Set(spec.networks.flatMap((n) => n.aliases))].filter((a) => a !== alias && !a.startsWith(`${spec.app}-${spec.env}-`));
    targets.push({ to: spec.env!, spec, port, kind, alias, container: c.name, ips: Object.values(info.ipAddresses).filter(Boolean), shortNames });
  }
  const checks = await Promise.all(
    envs.map(async (from): Promise<AppServiceCheck[]> => {
      const theirs = targets.filter((t) => t.to !== from);
      if (theirs.length === 0) return [];
      const ours = (t: Target) => targets.find((o) => o.to === from && o.spec.app === t.spec.app && o.spec.process === t.spec.process);
      const args = new Set<string>();
      for (const t of theirs) {
        args.add(`name=${t.alias}:${t.port}`);
        args.add(`name=${t.container}:${t.port}`);
        for (const ip of t.ips) if (t.port) args.add(`ip=${ip}:${t.port}`);
        for (const n of t.shortNames) args.add(`addr=${n}`);
        const own = ours(t);
        if (own) args.add(`name=${own.alias}:${own.port}`);
      }
      const networks = [...new Set(run.state.networks.filter((n) => n.env === from).map((n) => n.name))].sort();
      const r = await engine.runOnce(
        {
          name: `${run.fleet.project}-probe-${randomBytes(3).toString('hex')}`,
          image: proxy.image,
          cmd: ['sh', '-c', PROBE, 'probe', ...args],
          env: {},
          labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'probe' },
          networks: networks.map((name) => ({ name, aliases: [] })),
          mounts: [],
          restart: 'no',
          stopTimeoutS: 1,
        },
        { timeoutMs: 30_000 },
      );
      const ok = (line: string) => new RegExp(`^${reEscape(line)} ok$`, 'm').test(r.logs);
      const resolved = (name: string) => (new RegExp(`^addr ${reEscape(name)} (.*)$`, 'm').exec(r.logs)?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
      return theirs.map((t): AppServiceCheck => {
        const subject = `${from} → ${t.to} ${t.spec.app}/${t.spec.process}`;
        const what = `${t.to}'s ${t.spec.process} (${t.kind}${t.port ? `, port ${t.port}` : ''})`;
        const own = ours(t);
        if (!/^(dns|tcp|addr) /m.test(r.logs) || (own && !ok(`dns ${own.alias}`)))
          return {
            server,
            check: 'app-service',
            ok: false,
            subject,
            message: `inconclusive: the probe on ${from}'s networks ${own ? `could not resolve its own ${own.alias}` : `did not run (exit ${r.exitCode})`}, so it proves nothing about ${what}`,
          };
        const leaks: string[] = [];
        for (const n of [t.alias, t.container]) {
          if (ok(`dns ${n}`)) leaks.push(`resolves ${n}`);
          if (t.port && ok(`tcp ${n}:${t.port}`)) leaks.push(`connects to ${n}:${t.port}`);
        }
        for (const ip of t.ips) if (t.port && ok(`tcp ${ip}:${t.port}`)) leaks.push(`connects to ${ip}:${t.port}`);
        for (const n of t.shortNames) {
          const hit = resolved(n).filter((a) => t.ips.includes(a));
          if (hit.length) leaks.push(`resolves "${n}" to ${hit.join(', ')}`);
        }
        return {
          server,
          check: 'app-service',
          ok: leaks.length === 0,
          subject,
          message: leaks.length
            ? `a container on ${from}'s networks ${leaks.join(' and ')}: ${what}`
            : `${from} cannot resolve ${t.alias} nor connect to ${t.ips.length ? t.ips.join(', ') : 'its address'}${t.port ? `:${t.port}` : ''}: ${what}${t.shortNames.length ? `; ${t.shortNames.map((n) => `"${n}"`).join(', ')} stay${t.shortNames.length === 1 ? 's' : ''} ${from}'s own` : ''}`,
        };
      });
    }),
  );
  return checks.flat();
}

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
