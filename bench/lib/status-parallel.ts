// Part of bench/ssh.ts: the wall time of `status` over two SSH servers (Slipway runs servers in
// parallel) against the sum of the same calls made one server at a time. Deploys a small app on
// hostA and hostB first (3 processes each, so status has containers to inspect), then cleans up.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadFleet } from '../../src/config/load.ts';
import { defaultConnector } from '../../src/engine/connect.ts';
import { desire } from '../../src/plan/desire/desire.ts';
import { createReporter } from '../../src/workflows/reporter.ts';
import { serverRun } from '../../src/workflows/server-run.ts';
import { serverStatus } from '../../src/workflows/status.ts';
import { loadImagesIntoHosts, type HarnessHosts } from '../../test/harness/hosts.ts';
import { slipwayOk } from '../../test/support/cli.ts';
import { cleanupProjectOn } from '../../test/support/project.ts';
import Docker from 'dockerode';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function statusParallelBench(hosts: HarnessHosts, runs = 5): Promise<{ parallelMs: number; sequentialMs: number }> {
  await loadImagesIntoHosts(['node:20-slim', 'caddy:2']);
  const project = `bstat${Date.now().toString(36).slice(-5)}`;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-status-'));
  const env = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath };
  Object.assign(process.env, env);
  const web = `["node", "-e", "require('http').createServer((q, s) => s.end('ok')).listen(8000)"]`;
  const worker = `["node", "-e", "setInterval(() => {}, 1000)"]`;
  writeFileSync(
    join(dir, 'slipway.yaml'),
    `project: ${project}
servers:
  a: { ssh: root@${hosts.hosts.hostA.ip}, memory: 4GiB, http_port: 18080 }
  b: { ssh: root@${hosts.hosts.hostB.ip}, memory: 4GiB, http_port: 18080 }
environments:
  one: { server: a, domain: "{app}-one.test", tls: "off" }
  two: { server: b, domain: "{app}-two.test", tls: "off" }
apps:
  web:
    image: node:20-slim
    processes:
      web: { command: ${web}, port: 8000, health: /, memory: 64MiB }
      worker: { command: ${worker}, memory: 32MiB }
      worker2: { command: ${worker}, memory: 32MiB }
`,
  );
  const conns = [];
  try {
    await slipwayOk(['up'], { cwd: dir, env });
    for (const e of ['one', 'two']) await slipwayOk(['deploy', 'web', e, '--drain', '0'], { cwd: dir, env });
    const fleet = loadFleet(join(dir, 'slipway.yaml')).fleet!;
    const desired = desire(fleet);
    for (const s of fleet.servers) conns.push(await defaultConnector(s));
    const report = createReporter(null, () => performance.now());
    const sr = conns.map((c) => serverRun(fleet, desired, c, report, () => Date.now()));
    await Promise.all(sr.map((r) => serverStatus(r))); // warm-up
    const par: number[] = [];
    const seq: number[] = [];
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      await Promise.all(sr.map((r) => serverStatus(r)));
      par.push(performance.now() - t);
      t = performance.now();
      for (const r of sr) await serverStatus(r);
      seq.push(performance.now() - t);
    }
    return { parallelMs: median(par), sequentialMs: median(seq) };
  } finally {
    for (const c of conns) await c.close().catch(() => undefined);
    for (const h of [hosts.hosts.hostA, hosts.hosts.hostB]) await cleanupProjectOn(new Docker({ socketPath: h.socketPath }), project);
    rmSync(dir, { recursive: true, force: true });
  }
}
