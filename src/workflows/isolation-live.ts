// Isolation proven live (`slipway check --live`), not just claimed:
//   - from each environment's private network, no container of another environment resolves or
//     accepts a TCP connection (probed by a one-off container of the proxy's image);
//   - the app's own databases and brokers (a compose app's Postgres, Redis…) of one environment
//     are neither resolvable nor reachable from another's networks (isolation-app-services.ts);
//   - from each environment's private network, with the credentials Slipway gave its apps, what an
//     attacker would try against the shared Postgres and Redis is refused (isolation-attacks.ts:
//     no credentials, another environment's database or Redis DB, FLUSHALL, CONFIG, KEYS,
//     CREATE DATABASE/ROLE, pg_authid);
//   - no container of the project publishes a host port, except the proxy.
// Each check reports pass or fail, so a broken isolation is shown, not hidden.
import { randomBytes } from 'node:crypto';
import { privateNetwork } from '../model/names.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';
import { listOwned } from './observe.ts';
import { appServiceChecks } from './isolation-app-services.ts';
import { attackChecks } from './isolation-attacks.ts';

export interface LiveCheck {
  server: string;
  check: 'network' | 'database' | 'redis' | 'published-ports' | 'app-service';
  ok: boolean;
  subject: string;
  message: string;
  /** Attacker attempts (check `redis` and `database`): who tried, what, against which instance, and what answered. */
  env?: string;
  app?: string;
  attempt?: string;
  target?: string;
  victim?: string;
  outcome?: 'refused' | 'succeeded' | 'inconclusive' | 'contained';
  answer?: string;
  /** How long the attempt took, measured where it ran. */
  ms?: number;
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
  // All three start short-lived containers that wait on timeouts: side by side, not one after the other.
  const [network, appServices, attacks] = await Promise.all([networkChecks(run), appServiceChecks(run), attackChecks(run)]);
  return [...network, ...appServices, ...attacks, ...(await portChecks(run))];
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
