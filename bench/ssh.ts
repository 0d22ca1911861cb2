// bench/ssh.ts — Engine API latency over each transport, measured side by side in one run:
//   (a) the local engine's unix socket, and hostA's engine through its socket (no SSH);
//   (b) Slipway's SSH transport to hostA (one ssh2 connection, a direct-streamlocal channel to
//       /var/run/docker.sock per call);
//   (c) dockerode's own `protocol: 'ssh'` (a new SSH login + `docker system dial-stdio` per call).
// Prints the median of N calls (default 50) of `ping` and `listContainers` for each, and the
// ratio (c)/(b). Target: (c)/(b) ≥ 10×. Then the wall time of `status` over 2 servers against
// the sum of the same calls made one server at a time (bench/lib/status-parallel.ts). Brings the
// simulated hosts up if needed (scripts/hosts.sh).
//   npx tsx bench/ssh.ts [--n 50]
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import type { DockerEngine } from '../src/engine/docker-engine.ts';
import { DockerodeEngine } from '../src/engine/dockerode-engine.ts';
import { connectSsh } from '../src/engine/ssh-connect.ts';
import { hostsUp } from '../test/harness/hosts.ts';
import { statusParallelBench } from './lib/status-parallel.ts';

const nArg = process.argv.indexOf('--n');
const N = nArg > 0 ? Number(process.argv[nArg + 1]) : 50;
if (!Number.isInteger(N) || N < 1) throw new Error('--n takes a positive integer');

type Op = 'ping' | 'listContainers';
const OPS: Op[] = ['ping', 'listContainers'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function time(call: () => Promise<unknown>): Promise<number> {
  await call(); // warm-up (first channel, JIT)
  const ms: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await call();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

function engineCalls(e: DockerEngine): Record<Op, () => Promise<unknown>> {
  return { ping: () => e.ping(), listContainers: () => e.listContainers({}, { all: true }) };
}

const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 1)} ms`.padStart(16);

async function main(): Promise<void> {
  const hosts = await hostsUp();
  const a = hosts.hosts.hostA;
  const rows: { name: string; ms: Record<Op, number> }[] = [];
  const measure = async (name: string, calls: Record<Op, () => Promise<unknown>>) => {
    const ms = {} as Record<Op, number>;
    for (const op of OPS) ms[op] = await time(calls[op]);
    rows.push({ name, ms });
    console.log(`${name.padEnd(48)}${OPS.map((op) => fmt(ms[op])).join('')}`);
  };

  console.log(`Engine API call latency, median of ${N} calls each`);
  console.log(`${''.padEnd(48)}${OPS.map((op) => op.padStart(16)).join('')}`);

  const localSocket = process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock';
  await measure(`(a) local socket ${localSocket}`, engineCalls(new DockerodeEngine('local', { socketPath: localSocket })));
  await measure('(a) hostA engine via its socket (no SSH)', engineCalls(new DockerodeEngine('hostA', { socketPath: a.socketPath })));

  const server = {
    name: 'hostA',
    transport: { kind: 'ssh' as const, user: 'root', host: a.ip, port: 22, identity: hosts.sshKeyPath },
    proxy: 'caddy' as const,
    httpPort: 80,
  };
  const t0 = performance.now();
  const conn = await connectSsh(server, { knownHostsPath: hosts.knownHostsPath });
  const connectMs = performance.now() - t0;
  try {
    await measure('(b) Slipway SSH transport (one connection)', engineCalls(conn.engine));
  } finally {
    await conn.close();
  }

  // Baseline only: dockerode's ssh mode, which does no host key checking of its own. Its
  // docker-modem builds a URL Node deprecates (DEP0170); keep that warning out of the table.
  (process as { noDeprecation?: boolean }).noDeprecation = true;
  const baseline = new Docker({ protocol: 'ssh', host: a.ip, port: 22, username: 'root', sshOptions: { privateKey: readFileSync(hosts.sshKeyPath) } });
  await measure("(c) dockerode protocol: 'ssh' (login per call)", engineCalls(new DockerodeEngine('hostA', baseline)));

  const b = rows.find((r) => r.name.startsWith('(b)'))!;
  const c = rows.find((r) => r.name.startsWith('(c)'))!;
  console.log('');
  console.log(`(b) connect + host key check + login: ${connectMs.toFixed(0)} ms (once per server)`);
  let ok = true;
  for (const op of OPS) {
    const ratio = c.ms[op] / b.ms[op];
    ok &&= ratio >= 10;
    console.log(`ratio (c)/(b) ${op.padEnd(15)} ${ratio.toFixed(1)}×  (target ≥ 10×)`);
  }
  console.log(ok ? 'target met' : 'TARGET MISSED');
  if (!ok) process.exitCode = 1;

  console.log('');
  console.log('status over 2 servers (hostA, hostB; 3 running containers each), median of 5:');
  const st = await statusParallelBench(hosts);
  console.log(`  parallel (as slipway status does):   ${st.parallelMs.toFixed(0)} ms`);
  console.log(`  one server at a time (sum):          ${st.sequentialMs.toFixed(0)} ms`);
  console.log(`  ratio sequential/parallel:           ${(st.sequentialMs / st.parallelMs).toFixed(2)}×  (2 servers: ideal 2.0×)`);
}

main().catch((err: unknown) => {
  console.error(`error: ${(err as Error).message}`);
  process.exitCode = 1;
});
