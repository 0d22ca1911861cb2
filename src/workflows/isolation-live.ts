// Isolation proven live (`slipway check --live`), not just claimed:
//   - from each environment's private network, no container of another environment resolves or
//     accepts a TCP connection (probed by a one-off container of the proxy's image);
//   - the app's own databases and brokers (a compose app's Postgres, Redis…) of one environment
//     are neither resolvable nor reachable from another's networks (isolation-app-services.ts);
//   - each environment's database user cannot connect to another environment's database;
//   - a key written in one environment's Redis DB is not visible in another's;
//   - no container of the project publishes a host port, except the proxy.
// Each check reports pass or fail, so a broken isolation is shown, not hidden.
import { randomBytes } from 'node:crypto';
import { privateNetwork } from '../model/names.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';
import { listOwned } from './observe.ts';
import { appServiceChecks } from './isolation-app-services.ts';

export interface LiveCheck {
  server: string;
  check: 'network' | 'database' | 'redis' | 'published-ports' | 'app-service';
  ok: boolean;
  subject: string;
  message: string;
}

// argv: port name... addr... — prints `dns <name> ok|fail` for each name (args up to `--`) and
// `tcp <host> ok|fail` for every name and address. POSIX sh with getent/nslookup and bash's
// /dev/tcp or nc, whichever the image has.
const PROBE = [
  'port=$1; shift',
  'tcp() { if command -v bash >/dev/null 2>&1; then timeout 3 bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$2" 2>/dev/null; else nc -z -w 3 "$1" "$2" 2>/dev/null; fi; }',
  'names=1',
  'for h in "$@"; do',
  '  if [ "$h" = -- ]; then names=; continue; fi',
  // Bounded: a server whose DNS upstream is unreachable makes unknown names hang for 20 s.
  '  if [ -n "$names" ]; then if timeout 3 getent hosts "$h" >/dev/null 2>&1 || timeout 3 nslookup "$h" >/dev/null 2>&1; then echo "dns $h ok"; else echo "dns $h fail"; fi; fi',
  '  if tcp "$h" "$port"; then echo "tcp $h ok"; else echo "tcp $h fail"; fi',
  'done',
].join('\n');

export async function liveIsolation(run: ServerRun): Promise<LiveCheck[]> {
  // Both start probe containers that wait on timeouts: side by side, not one after the other.
  const [network, appServices] = await Promise.all([networkChecks(run), appServiceChecks(run)]);
  return [...network, ...appServices, ...(await databaseChecks(run)), ...(await redisChecks(run)), ...(await portChecks(run))];
}

async function networkChecks(run: ServerRun): Promise<LiveCheck[]> {
  const { engine } = run.conn;
  const server = run.conn.server.name;
  const proxy = run.state.containers.find((c) => c.role === 'proxy');
  const envs = [...new Set(run.state.containers.filter((c) => c.role === 'app').map((c) => c.env!))].sort();
  if (!proxy || envs.length < 2) return [];
  const running = await listOwned(engine, run.fleet.project, { [LABELS.role]: 'app' });
  const pairs = envs.flatMap((from) => envs.filter((to) => to !== from).map((to) => ({ from, to })));
  const results = await Promise.all(
    pairs.map(async ({ from, to }): Promise<LiveCheck | undefined> => {
      // Prefer a container that listens (a web process): a refused port proves less.
      const candidates = running.filter((c) => c.labels[LABELS.env] === to);
      const specOf = (c: (typeof running)[number]) =>
        run.state.containers.find((s) => s.app === c.labels[LABELS.app] && s.env === to && s.process === c.labels[LABELS.process]);
      const target = candidates.find((c) => specOf(c)?.port !== undefined) ?? candidates[0];
      if (!target) return undefined;
      const info = await engine.inspectContainer(target.id);
      const port = String(specOf(target)?.port ?? 80);
      const alias = `${target.labels[LABELS.app]}-${to}-${target.labels[LABELS.process]}`;
      // Every address the target has, on any network, and every name it answers to.
      const ips = Object.values(info.ipAddresses).filter(Boolean);
      const ip = ips.join(', ');
      const names = [alias, target.name];
      const r = await engine.runOnce(
        {
          name: `${run.fleet.project}-probe-${randomBytes(3).toString('hex')}`,
          image: proxy.image,
          cmd: ['sh', '-c', PROBE, 'probe', port, ...names, '--', ...ips],
          env: {},
          labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'probe' },
          networks: [{ name: privateNetwork(run.fleet.project, from), aliases: [] }],
          mounts: [],
          restart: 'no',
          stopTimeoutS: 1,
        },
        { timeoutMs: 30_000 },
      );
      const leaks = [...r.logs.matchAll(/^(dns|tcp) (\S+) ok$/gm)].map((m) => (m[1] === 'dns' ? `resolves ${m[2]}` : `connects to ${m[2]}:${port}`));
      const inconclusive = !/^dns /m.test(r.logs);
      return {
        server,
        check: 'network',
        ok: leaks.length === 0 && !inconclusive,
        subject: `${from} → ${to}`,
        message: inconclusive
          ? `the probe from ${from} did not run (exit ${r.exitCode}): ${r.logs.trim().split('\n').pop() ?? ''}`
          : leaks.length
            ? `a container on ${from}'s network ${leaks.join(' and ')} (${to})`
            : `${from} cannot resolve ${alias} nor connect to ${ip || 'its IP'}:${port}`,
      };
    }),
  );
  return results.filter((r): r is LiveCheck => r !== undefined);
}

async function databaseChecks(run: ServerRun): Promise<LiveCheck[]> {
  const out: LiveCheck[] = [];
  const server = run.conn.server.name;
  for (const inst of run.state.containers.filter((c) => c.role === 'service' && run.state.databases.some((d) => d.instance === c.key))) {
    const dbs = run.state.databases.filter((d) => d.instance === inst.key);
    for (const a of dbs) {
      // Stays wrapped: the engine adapter puts it in psql's env.
      const pw = await run.store.getSecret(a.passwordSecret);
      if (!pw) continue;
      for (const b of dbs.filter((x) => x !== a)) {
        const r = await run.conn.engine.exec(inst.name, ['psql', '-X', '-h', '127.0.0.1', '-U', a.user, '-d', b.database, '-tAc', 'select 1'], {
          env: { PGPASSWORD: pw },
        });
        const denied = r.exitCode !== 0;
        out.push({
          server,
          check: 'database',
          ok: denied,
          subject: `${a.user} → ${b.database}`,
          message: denied
            ? `user ${a.user} (${a.env}) cannot connect to ${b.database} (${b.env}): ${r.stderr.trim().split('\n').pop() ?? 'refused'}`
            : `user ${a.user} (${a.env}) CAN connect to ${b.database} (${b.env})`,
        });
      }
    }
  }
  return out;
}

async function redisChecks(run: ServerRun): Promise<LiveCheck[]> {
  const out: LiveCheck[] = [];
  const server = run.conn.server.name;
  const byInstance = new Map<string, typeof run.state.redisDbs>();
  for (const r of run.state.redisDbs) byInstance.set(r.instance, [...(byInstance.get(r.instance) ?? []), r]);
  for (const [instance, allocs] of byInstance) {
    const container = run.state.containers.find((c) => c.key === instance);
    if (!container || allocs.length < 2) continue;
    for (const a of allocs) {
      const key = `slipway:isolation-probe:${randomBytes(4).toString('hex')}`;
      const cli = (db: number, ...args: string[]) => run.conn.engine.exec(container.name, ['redis-cli', '-n', String(db), ...args]);
      await cli(a.db, 'SET', key, '1', 'EX', '60');
      const seenIn = [];
      for (const b of allocs.filter((x) => x !== a)) if ((await cli(b.db, 'EXISTS', key)).stdout.trim() === '1') seenIn.push(`${b.env} (db ${b.db})`);
      await cli(a.db, 'DEL', key);
      out.push({
        server,
        check: 'redis',
        ok: seenIn.length === 0,
        subject: `${a.env} db ${a.db}`,
        message: seenIn.length
          ? `a key written by ${a.env} (db ${a.db}) is visible to ${seenIn.join(', ')}`
          : `a key written by ${a.env} (db ${a.db}) is invisible to the other environments' DBs`,
      });
    }
  }
  return out;
}

async function portChecks(run: ServerRun): Promise<LiveCheck[]> {
  const { engine } = run.conn;
  const published: string[] = [];
  for (const c of await listOwned(engine, run.fleet.project)) {
    if (c.labels[LABELS.role] === 'proxy') continue;
    const info = await engine.inspectContainer(c.id);
    if (info.publishedPorts.length) published.push(`${c.name} (${info.publishedPorts.join(', ')})`);
  }
  return [
    {
      server: run.conn.server.name,
      check: 'published-ports',
      ok: published.length === 0,
      subject: 'host ports',
      message: published.length ? `containers other than the proxy publish host ports: ${published.join('; ')}` : 'only the proxy publishes host ports',
    },
  ];
}
