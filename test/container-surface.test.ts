// The container surface on the real engine: a small fleet (dev, staging, prod, a shared Redis, the
// Caddy proxy) is brought up and deployed with the real CLI, then every container is read back
// with `docker inspect` (the Engine API) and from inside (the kernel's own view):
// - every container, the proxy and the shared service included, rotates its logs and has a pids
//   limit; a prod container's OOM score is lower than staging's, which is lower than dev's;
// - the process settings arrive as written: user, entrypoint (replacing the image's), ulimits,
//   capabilities, a read-only root with a writable tmpfs, init, stop signal, labels, extra hosts;
// - a one-off process with `restart: "no"` runs once, exits 0 and is not restarted.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipwayOk } from './support/cli.ts';
import { cleanupProject, freePort, makeProject, projectContainers, type TestProject } from './support/project.ts';

const ENVS = ['dev', 'staging', 'prod'] as const;
let p: TestProject;
const docker = new Docker();

function fleet(project: string, port: number): string {
  return `project: ${project}
servers:
  local: { local: true, http_port: ${port} }
environments:
  dev: { server: local, tls: "off" }
  staging:
    server: local
    tls: "off"
    logging: { options: { max-size: 5m, max-file: "2" } }
  prod: { server: local, protected: true, tls: "off" }
services:
  redis: { image: redis:7, scope: server }
apps:
  box:
    image: node:20-slim
    uses: [redis]
    processes:
      worker:
        entrypoint: [node]
        command: ["-e", "process.on('SIGINT', () => process.exit(0)); setInterval(() => {}, 1000)"]
        user: "1000:1000"
        read_only: true
        tmpfs: ["/scratch:size=16m"]
        cap_drop: [ALL]
        cap_add: [NET_BIND_SERVICE]
        ulimits: { nofile: { soft: 1024, hard: 2048 } }
        init: true
        stop_signal: SIGINT
        stop_grace_period: 5s
        labels: { com.example.team: payments }
        extra_hosts: ["db.internal:10.0.0.5"]
      migrate:
        command: ["node", "-e", "console.log('migrated')"]
        restart: "no"
`;
}

// biome-ignore lint/suspicious/noExplicitAny: the Engine API's inspect JSON, read field by field
type Json = Record<string, any>;

interface Inspected {
  name: string;
  labels: Record<string, string>;
  state: { Status: string; ExitCode: number };
  restartCount: number;
  config: Json;
  host: Json;
}

async function inspectAll(): Promise<Inspected[]> {
  const out: Inspected[] = [];
  for (const c of await projectContainers(p.project)) {
    const i = await docker.getContainer(c.name).inspect();
    out.push({ name: c.name, labels: i.Config.Labels, state: i.State, restartCount: i.RestartCount, config: i.Config, host: i.HostConfig });
  }
  return out;
}

const of = (all: Inspected[], role: string, env?: string, process?: string): Inspected[] =>
  all.filter(
    (c) =>
      c.labels['slipway.role'] === role &&
      (env === undefined || c.labels['slipway.env'] === env) &&
      (process === undefined || c.labels['slipway.process'] === process),
  );
const one = (all: Inspected[], role: string, env?: string, process?: string): Inspected => {
  const found = of(all, role, env, process);
  if (found.length !== 1) throw new Error(`expected one ${role} ${env ?? ''} ${process ?? ''}, found ${found.map((c) => c.name).join(', ') || 'none'}`);
  return found[0]!;
};

async function execIn(container: string, argv: string[]): Promise<{ exitCode: number; output: string }> {
  const ex = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  // Strip the 8-byte stream headers of the multiplexed output.
  const raw = Buffer.concat(chunks);
  let text = '';
  for (let i = 0; i + 8 <= raw.length; ) {
    const len = raw.readUInt32BE(i + 4);
    text += raw.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return { exitCode: (await ex.inspect()).ExitCode ?? -1, output: text };
}

let all: Inspected[];

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['node', 'caddy', 'redis']);
  p = makeProject('csurf');
  p.writeFleet(fleet(p.project, await freePort()));
  p.commit('fleet');
  await slipwayOk(['up'], { cwd: p.dir });
  for (const env of ENVS) await slipwayOk(['deploy', 'box', env, '--drain', '0'], { cwd: p.dir });
  all = await inspectAll();
}, 600_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

describe('container surface on the real engine', () => {
  it('deployed every process of every environment, the shared Redis and the proxy', () => {
    for (const env of ENVS) for (const proc of ['worker', 'migrate']) expect(of(all, 'app', env, proc), `${env}/${proc}`).toHaveLength(1);
    expect(of(all, 'service')).toHaveLength(1);
    expect(of(all, 'proxy')).toHaveLength(1);
  });

  it('every container rotates its logs (json-file 10m × 3 unless its environment says otherwise)', () => {
    const managed = all.filter((c) => ['app', 'service', 'proxy'].includes(c.labels['slipway.role'] ?? ''));
    expect(managed.length).toBe(8); // 6 app containers, Redis, the proxy
    for (const c of managed) {
      const want = c.labels['slipway.env'] === 'staging' ? { 'max-size': '5m', 'max-file': '2' } : { 'max-size': '10m', 'max-file': '3' };
      expect(c.host.LogConfig, c.name).toEqual({ Type: 'json-file', Config: want });
    }
  });

  it('every container has a pids limit, which the kernel enforces', async () => {
    for (const c of all.filter((x) => ['app', 'service', 'proxy'].includes(x.labels['slipway.role'] ?? ''))) expect(c.host.PidsLimit, c.name).toBe(1024);
    const worker = one(all, 'app', 'prod', 'worker');
    // cgroup v2 or v1, whichever the server runs.
    const read =
      "const fs = require('fs'); const f = ['/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max'].find((p) => fs.existsSync(p)); process.stdout.write(fs.readFileSync(f, 'utf8'))";
    const r = await execIn(worker.name, ['node', '-e', read]);
    expect(r.output.trim()).toBe('1024');
  });

  it('OOM scores: prod < staging < dev, in the engine and in the kernel', async () => {
    const score = (env: string) => one(all, 'app', env, 'worker').host.OomScoreAdj as number;
    expect([score('prod'), score('staging'), score('dev')]).toEqual([0, 300, 700]);
    expect(score('prod')).toBeLessThan(score('staging'));
    expect(score('staging')).toBeLessThan(score('dev'));
    for (const env of ENVS) {
      const worker = one(all, 'app', env, 'worker');
      const r = await execIn(worker.name, ['node', '-e', "process.stdout.write(require('fs').readFileSync('/proc/1/oom_score_adj', 'utf8'))"]);
      expect(Number(r.output.trim()), env).toBe(score(env));
    }
    // The shared Redis serves prod, and the proxy serves everyone: both are protected like prod.
    expect(one(all, 'service').host.OomScoreAdj).toBe(0);
    expect(one(all, 'proxy').host.OomScoreAdj).toBe(0);
  });

  it('carries the process settings as written', () => {
    for (const env of ENVS) {
      const w = one(all, 'app', env, 'worker');
      expect(w.state.Status, w.name).toBe('running');
      expect(w.config.User).toBe('1000:1000');
      expect(w.config.Entrypoint).toEqual(['node']);
      expect(w.config.Cmd).toEqual(['-e', "process.on('SIGINT', () => process.exit(0)); setInterval(() => {}, 1000)"]);
      expect(w.config.StopSignal).toBe('SIGINT');
      expect(w.config.StopTimeout).toBe(5);
      expect(w.config.Labels['com.example.team']).toBe('payments');
      expect(w.host.Ulimits).toEqual([{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
      expect(w.host.CapAdd.map((c: string) => c.replace(/^CAP_/, ''))).toEqual(['NET_BIND_SERVICE']);
      expect(w.host.CapDrop.map((c: string) => c.replace(/^CAP_/, ''))).toEqual(['ALL']);
      expect(w.host.ReadonlyRootfs).toBe(true);
      expect(w.host.Tmpfs).toEqual({ '/scratch': 'size=16m' });
      expect(w.host.Init).toBe(true);
      expect(w.host.ExtraHosts).toEqual(['db.internal:10.0.0.5']);
      expect(w.host.RestartPolicy.Name).toBe('unless-stopped');
    }
  });

  it('the root filesystem is read-only, the tmpfs is writable, and the user and limits hold inside', async () => {
    const w = one(all, 'app', 'staging', 'worker');
    const probe = `
      const fs = require('fs');
      const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'ok'; } catch (e) { return e.code; } };
      // PID 1 (Docker's init) keeps the limits as set; node raises its own soft nofile at startup.
      const limits = fs.readFileSync('/proc/1/limits', 'utf8').split('\\n').find((l) => l.startsWith('Max open files'));
      process.stdout.write(JSON.stringify({ root: tryWrite('/probe'), tmpfs: tryWrite('/scratch/probe'), uid: process.getuid(), gid: process.getgid(),
        nofile: limits.trim().split(/\\s+/).slice(3, 5), hosts: fs.readFileSync('/etc/hosts', 'utf8').includes('10.0.0.5\\tdb.internal') }));`;
    const r = await execIn(w.name, ['node', '-e', probe]);
    expect(JSON.parse(r.output)).toEqual({ root: 'EROFS', tmpfs: 'ok', uid: 1000, gid: 1000, nofile: ['1024', '2048'], hosts: true });
  });

  it('a one-off process (restart "no") ran once, exited 0, and stays exited', async () => {
    for (const env of ENVS) {
      const m = one(all, 'app', env, 'migrate');
      expect(m.host.RestartPolicy.Name || 'no', m.name).toBe('no');
      expect(m.state.Status).toBe('exited');
      expect(m.state.ExitCode).toBe(0);
      expect(m.restartCount).toBe(0);
      const logs = (await docker.getContainer(m.name).logs({ stdout: true, stderr: true })).toString('utf8');
      expect(logs).toContain('migrated');
    }
  });
});
