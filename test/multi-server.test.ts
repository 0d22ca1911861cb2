// Multi-server operation on two simulated servers (scripts/hosts.sh: hostA 10.200.0.2 and hostB
// 10.200.0.3, network namespaces each with its own sshd and dockerd), driven through the CLI over
// SSH. The fleet is examples/prod-devstg-split (prod alone on vps1, dev and staging on vps2, nginx
// on each) with its apps built from the echo app. Covers: `up` on both servers in parallel and
// surviving one server's sshd dying mid-way; placement per server; every domain through its own
// server's proxy; live isolation checks; builds on the target only; one image shipped between
// servers without a rebuild; host key pinning. Hosts are shared: this suite never takes them
// down and removes only its own project's objects. It fails (never skips) without the hosts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages } from './harness/engine.ts';
import { hostsUp, loadImagesIntoHosts, startSshd, stopSshd, type HarnessHostName, type HarnessHosts } from './harness/hosts.ts';
import { slipway, slipwayOk, startSlipway, type CliResult } from './support/cli.ts';
import { fleetRoutes, multiFleet, multiFleetYaml } from './support/multi-fleet.ts';
import {
  cleanupProjectOn,
  getVia,
  hostContainers,
  hostDocker,
  hostHasImage,
  hostKeyFingerprint,
  releaseImageTags,
  runningImageId,
  waitForLine,
} from './support/multi-hosts.ts';
import { makeProject, type TestProject } from './support/project.ts';

const IMAGES = ['node:20-slim', 'nginx:1.27', 'postgres:17', 'redis:7', 'busybox:1.36'];
const SSH = { vps1: 'root@10.200.0.2', vps2: 'root@10.200.0.3' };
const HOST_OF: Record<string, HarnessHostName> = { vps1: 'hostA', vps2: 'hostB' };
const AUTH: Record<string, string | undefined> = { prod: undefined, staging: 'team:pw-staging-4711', dev: 'team:pw-dev-4711' };

let hosts: HarnessHosts;
let p: TestProject;
let env: Record<string, string>;
let docker: Record<HarnessHostName, Docker>;
const releases = new Map<string, string>();
const timings: Record<string, number> = {};

const cli = (args: string[], extra: Record<string, string> = {}, input?: string) => slipway(args, { cwd: p.dir, env: { ...env, ...extra }, input });
const cliOk = (args: string[], extra: Record<string, string> = {}, input?: string) => slipwayOk(args, { cwd: p.dir, env: { ...env, ...extra }, input });
const ipOf = (server: string) => hosts.hosts[HOST_OF[server]!].ip;
const noStack = (r: CliResult) => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);
async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await fn();
  } finally {
    timings[label] = Date.now() - t0;
  }
}

beforeAll(async () => {
  await timed('setup', async () => {
    await ensureImages(['node', 'nginx', 'postgres17', 'redis', 'busybox']);
    hosts = await hostsUp();
    await loadImagesIntoHosts(IMAGES);
    docker = { hostA: hostDocker(hosts, 'hostA'), hostB: hostDocker(hosts, 'hostB') };
    p = makeProject('ms');
    p.writeFleet(multiFleetYaml({ project: p.project, ssh: SSH }));
    p.commit('fleet');
    p.git(['branch', '-f', 'develop', 'HEAD']);
    p.git(['tag', '-f', 'v1.0.0', 'HEAD']);
    // The CLI gets the harness key and known_hosts from the environment only.
    env = { SLIPWAY_SSH_KEY: hosts.sshKeyPath, SLIPWAY_KNOWN_HOSTS: hosts.knownHostsPath, SSH_AUTH_SOCK: '' };
  });
}, 900_000);

afterAll(async () => {
  await startSshd('hostB').catch(() => undefined); // in case a failure left it stopped
  if (p && docker) await Promise.all([cleanupProjectOn(docker.hostA, p.project), cleanupProjectOn(docker.hostB, p.project)]);
  console.log(`multi-server timings (ms): ${JSON.stringify(timings)}`);
}, 300_000);

describe('multi-server: prod on vps1 (hostA), dev and staging on vps2 (hostB)', () => {
  it('up runs both servers in parallel; hostB losing sshd mid-way fails only vps2, and a rerun converges', async () => {
    const t0 = Date.now();
    const { child, done } = startSlipway(['up'], { cwd: p.dir, env });
    let stopped = false;
    try {
      // Wait until vps2 is at work on a service (a real step under way), then kill its sshd.
      const line = await waitForLine(child.stderr!, /^\[vps2\] → \+ create container service\//, 240_000);
      expect(line).toMatch(/^\[vps2\] /);
      await stopSshd('hostB');
      stopped = true;
      const r = await done;
      timings['up (interrupted)'] = Date.now() - t0;
      expect(r.code, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(1);
      // Named once, and said for what it is (not a bare "socket hang up").
      expect(r.stderr).toMatch(/^error: vps2: .*connection to vps2 lost/m);
      expect(r.stderr).not.toMatch(/vps2: vps2:/);
      expect(r.stderr).not.toMatch(/^error: vps1/m);
      noStack(r);
      expect(r.stdout).toMatch(/^vps1: \d+ actions applied/m);
      expect(r.stdout).not.toMatch(/^vps2: /m);
      // Parallel: vps2's progress started before vps1 finished its last step.
      const lines = r.stderr.split('\n');
      const firstVps2 = lines.findIndex((l) => l.startsWith('[vps2] '));
      const lastVps1 = lines.map((l) => l.startsWith('[vps1]   ✓')).lastIndexOf(true);
      expect(firstVps2).toBeGreaterThanOrEqual(0);
      expect(firstVps2).toBeLessThan(lastVps1);
    } finally {
      if (!stopped) child.kill('SIGKILL');
      await done;
      await startSshd('hostB');
    }
    const again = await timed('up (rerun)', () => cliOk(['up']));
    expect(again.stdout).toMatch(/^vps1: nothing to change$/m);
    expect(again.stdout).toMatch(/^vps2: \d+ actions applied/m);
    expect(again.stdout).toMatch(/up done in/);
    const plan = JSON.parse((await cliOk(['plan', '--json'])).stdout) as { actions: { kind: string; type: string; id: string; server: string }[] };
    const infra = plan.actions.filter(
      (a) =>
        a.kind === 'create' &&
        (a.type === 'network' ||
          a.type === 'volume' ||
          a.type === 'database' ||
          a.type === 'redis-db' ||
          (a.type === 'container' && !/^(aletheia|helios)\//.test(a.id))),
    );
    expect(infra).toEqual([]);
  }, 600_000);

  it('each host runs its own proxy, Postgres and Redis', async () => {
    for (const h of ['hostA', 'hostB'] as const) {
      const cs = (await hostContainers(docker[h], p.project)).filter((c) => c.state === 'running');
      const roles = cs.map((c) => `${c.labels['slipway.role']}:${c.image}`).sort();
      expect(roles, h).toEqual(expect.arrayContaining(['proxy:nginx:1.27', 'service:postgres:17', 'service:redis:7']));
      expect(
        cs.filter((c) => c.labels['slipway.role'] === 'proxy'),
        h,
      ).toHaveLength(1);
      expect(
        cs.filter((c) => c.labels['slipway.role'] === 'service'),
        h,
      ).toHaveLength(2);
    }
  });

  it('deploys every app in every environment, each on its own server', async () => {
    await timed('secrets', async () => {
      await cliOk(['secret', 'set', 'django-secret-key'], {}, 'not-a-real-key');
      for (const e of ['dev', 'staging']) await cliOk(['secret', 'set', `basic-auth-${e}`], {}, `pw-${e}-4711`);
    });
    const refs: Record<string, string[]> = { prod: ['--ref', 'v1.0.0'], staging: ['--ref', 'develop'], dev: [] };
    const chain = async (pairs: [string, string][]) => {
      for (const [app, e] of pairs) {
        const r = await timed(`deploy ${app} ${e}`, () => cliOk(['deploy', app, e, '--drain', '200', '--json', ...refs[e]!]));
        const res = JSON.parse(r.stdout) as { release: string; server: string };
        expect(res.server).toBe(e === 'prod' ? 'vps1' : 'vps2');
        releases.set(`${app}/${e}`, res.release);
      }
    };
    // vps1 and vps2 at the same time (their environments' locks are independent).
    await Promise.all([
      chain([
        ['aletheia', 'prod'],
        ['helios', 'prod'],
      ]),
      chain([
        ['aletheia', 'staging'],
        ['aletheia', 'dev'],
        ['helios', 'dev'],
        ['helios', 'staging'],
      ]),
    ]);
    const a = (await hostContainers(docker.hostA, p.project)).filter((c) => c.labels['slipway.role'] === 'app');
    const b = (await hostContainers(docker.hostB, p.project)).filter((c) => c.labels['slipway.role'] === 'app');
    expect(new Set(a.map((c) => c.labels['slipway.env']))).toEqual(new Set(['prod']));
    expect(new Set(b.map((c) => c.labels['slipway.env']))).toEqual(new Set(['dev', 'staging']));
    // aletheia: web, celery, celery-heavy, beat; helios: web — running, per environment.
    expect(a.filter((c) => c.state === 'running')).toHaveLength(5);
    expect(b.filter((c) => c.state === 'running')).toHaveLength(10);
  }, 900_000);

  it("every domain answers through its own server's proxy, with its app, env and release", async () => {
    const routes = fleetRoutes(multiFleet({ project: p.project, ssh: SSH }));
    expect(routes.length).toBe(6);
    expect(routes.flatMap((r) => r.domains)).toEqual(
      expect.arrayContaining([
        'aletheia.example.com',
        'cda.example.com',
        'www.cda.example.com',
        'vsm.example.com',
        'aletheia-staging.example.com',
        'cda-dev.example.com',
      ]),
    );
    for (const r of routes) {
      for (const d of r.domains) {
        const res = await getVia(ipOf(r.server), 80, d, '/', AUTH[r.env]);
        expect(res.status, `${d} via ${r.server}: ${res.body}`).toBe(200);
        expect(JSON.parse(res.body), d).toMatchObject({ app: r.app, env: r.env, process: 'web', release: releases.get(`${r.app}/${r.env}`) });
      }
    }
    // Non-prod asks for basic auth.
    expect((await getVia(ipOf('vps2'), 80, 'aletheia-staging.example.com', '/')).status).toBe(401);
    // A prod domain sent to vps2's proxy is not served there; a staging one is not served by vps1.
    expect((await getVia(ipOf('vps2'), 80, 'aletheia.example.com', '/')).status).toBe(404);
    expect((await getVia(ipOf('vps2'), 80, 'cda.example.com', '/')).status).toBe(404);
    expect((await getVia(ipOf('vps1'), 80, 'aletheia-staging.example.com', '/', AUTH.staging)).status).toBe(404);
  });

  it('helios staging was built on hostB only', async () => {
    const first = releases.get('helios/staging')!;
    expect(await releaseImageTags(docker.hostB, p.project, 'helios', first)).toHaveLength(1);
    expect(await releaseImageTags(docker.hostA, p.project, 'helios', first)).toEqual([]);
    const stagingImage = await runningImageId(docker.hostB, p.project, 'helios', 'staging', 'web');
    expect(await hostHasImage(docker.hostA, stagingImage)).toBe(false);
    // And a redeploy from develop builds (or reuses) on hostB, never on hostA.
    const r = await timed('deploy helios staging (again)', () => cliOk(['deploy', 'helios', 'staging', '--ref', 'develop', '--drain', '200']));
    const release = /helios deployed release (\S+) in staging on vps2/.exec(r.stdout)?.[1];
    expect(release, r.stdout).toBeDefined();
    expect(r.stderr).toMatch(/on vps2/);
    expect(r.stderr).not.toMatch(/vps1/);
    expect(await releaseImageTags(docker.hostB, p.project, 'helios', release!)).toHaveLength(1);
    expect(await releaseImageTags(docker.hostA, p.project, 'helios', release!)).toEqual([]);
    releases.set('helios/staging', release!);
    const res = await getVia(ipOf('vps2'), 80, 'cda-staging.example.com', '/', AUTH.staging);
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body).release).toBe(release);
  }, 300_000);

  it("check --live passes on both servers, and fails when a dev container joins staging's network", async () => {
    type Live = { ok: boolean; live: { server: string; check: string; ok: boolean; subject: string; message: string }[] };
    const ok = JSON.parse((await timed('check --live', () => cliOk(['check', '--live', '--json']))).stdout) as Live;
    expect(ok.live.filter((l) => !l.ok)).toEqual([]);
    // vps2 runs two environments: every kind of check applies. vps1 runs prod alone: only its
    // published ports can be checked (no second environment to be isolated from).
    expect(new Set(ok.live.filter((l) => l.server === 'vps2').map((l) => l.check))).toEqual(new Set(['network', 'database', 'redis', 'published-ports']));
    expect(ok.live.filter((l) => l.server === 'vps1').map((l) => l.check)).toContain('published-ports');
    expect(
      ok.live
        .filter((l) => l.check === 'network')
        .map((l) => l.subject)
        .sort(),
    ).toEqual(['dev → staging', 'staging → dev']);

    const devWeb = (await hostContainers(docker.hostB, p.project)).find(
      (c) => c.labels['slipway.env'] === 'dev' && c.labels['slipway.app'] === 'aletheia' && c.labels['slipway.process'] === 'web' && c.state === 'running',
    )!;
    expect(devWeb).toBeDefined();
    const net = docker.hostB.getNetwork(`${p.project}-staging`);
    await net.connect({ Container: devWeb.id });
    try {
      const broken = await cli(['check', '--live', '--json']);
      expect(broken.code).toBe(1);
      const failed = (JSON.parse(broken.stdout) as Live).live.filter((l) => !l.ok);
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((l) => l.server === 'vps2')).toBe(true);
      const st = failed.find((l) => l.subject === 'staging → dev');
      expect(st, JSON.stringify(failed)).toBeDefined();
      expect(st!.check).toBe('network');
      expect(st!.message).toMatch(/connects to|resolves/);
    } finally {
      await net.disconnect({ Container: devWeb.id, Force: true });
    }
    const restored = JSON.parse((await cliOk(['check', '--live', '--json'])).stdout) as Live;
    expect(restored.live.filter((l) => !l.ok)).toEqual([]);
  }, 300_000);

  it('ships the release image from vps2 to vps1 without a rebuild, and transfers nothing when vps1 already has it', async () => {
    // aletheia staging was deployed on vps2 from the commit v1.0.0 points at (develop = v1.0.0).
    expect(p.git(['rev-parse', 'develop'])).toBe(p.git(['rev-parse', 'v1.0.0^{commit}']));
    const first = await timed('deploy --build-on (streamed)', () =>
      cliOk(['deploy', 'aletheia', 'prod', '--ref', 'v1.0.0', '--build-on', 'vps2', '--drain', '200']),
    );
    const out1 = `${first.stdout}\n${first.stderr}`;
    expect(out1).toMatch(/\[vps2\] +reusing image [0-9a-f]{12} built from [0-9a-f]{12}( for [^(]+)? \(no rebuild\)/);
    expect(out1).not.toMatch(/Step \d+\/\d+/); // nothing was built
    expect(out1).toMatch(/streamed from vps2 \(docker save \| docker load\)/);
    const rel1 = /aletheia deployed release (\S+) in prod on vps1/.exec(first.stdout)?.[1];
    expect(rel1, first.stdout).toBeDefined();
    // prod on vps1 now runs the very image aletheia staging runs on vps2.
    const idB = await runningImageId(docker.hostB, p.project, 'aletheia', 'staging', 'web');
    expect(out1).toContain(`reusing image ${idB.slice(7, 19)}`);
    expect(await runningImageId(docker.hostA, p.project, 'aletheia', 'prod', 'web')).toBe(idB);
    expect(await releaseImageTags(docker.hostA, p.project, 'aletheia', rel1!)).toHaveLength(1);

    const second = await timed('deploy --build-on (present)', () =>
      cliOk(['deploy', 'aletheia', 'prod', '--ref', 'v1.0.0', '--build-on', 'vps2', '--drain', '200']),
    );
    const out2 = `${second.stdout}\n${second.stderr}`;
    expect(out2).toMatch(/reusing image/);
    expect(out2).toMatch(new RegExp(`vps1 already has image ${idB.slice(7, 19)}: nothing transferred`));
    expect(out2).not.toMatch(/streamed from/);
    const rel2 = /aletheia deployed release (\S+) in prod on vps1/.exec(second.stdout)?.[1];
    expect(rel2).toBeDefined();
    expect(rel2).not.toBe(rel1);
    const res = await getVia(ipOf('vps1'), 80, 'aletheia.example.com', '/');
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ app: 'aletheia', env: 'prod', release: rel2 });
  }, 600_000);

  describe('host keys', () => {
    const variant = (name: string, hostKeys?: { vps1?: string; vps2?: string }) => {
      const file = join(p.dir, `slipway.${name}.yaml`); // beside slipway.yaml: git repo "." is relative to it
      writeFileSync(file, multiFleetYaml({ project: p.project, ssh: SSH, hostKeys }));
      return file;
    };
    const emptyKnownHosts = () => {
      const f = join(p.dir, 'variants', 'known_hosts.empty');
      mkdirSync(join(p.dir, 'variants'), { recursive: true });
      writeFileSync(f, '');
      return f;
    };

    it('a wrong pinned host_key for vps1 is refused as HOST KEY CHANGED, naming vps1 and its address', async () => {
      const file = variant('wrongpin', { vps1: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
      const r = await cli(['status', '-f', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/HOST KEY CHANGED/);
      expect(r.stderr).toMatch(/vps1 \(10\.200\.0\.2:22\)/);
      expect(r.stderr).toContain(hostKeyFingerprint(hosts, 'hostA')); // what it presented
      noStack(r);
    });

    it('an unknown host key (empty known_hosts, no pin) is refused with its fingerprint and how to accept it', async () => {
      const r = await cli(['status', '-f', variant('nopin')], { SLIPWAY_KNOWN_HOSTS: emptyKnownHosts() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/unknown host key/);
      expect(r.stderr).toContain(hostKeyFingerprint(hosts, 'hostA'));
      expect(r.stderr).toMatch(/host_key: "SHA256:|ssh-keyscan/);
      noStack(r);
    });

    it('the right pins work with an empty known_hosts', async () => {
      const file = variant('pinned', { vps1: hostKeyFingerprint(hosts, 'hostA'), vps2: hostKeyFingerprint(hosts, 'hostB') });
      const r = await cli(['status', '--json', '-f', file], { SLIPWAY_KNOWN_HOSTS: emptyKnownHosts() });
      expect(r.code, r.stderr).toBe(0);
      const rows = (JSON.parse(r.stdout) as { processes: { app: string; env: string; process: string; state: string }[] }).processes;
      expect(rows.find((x) => x.app === 'aletheia' && x.env === 'prod' && x.process === 'web')).toMatchObject({ state: 'running' });
      expect(rows.find((x) => x.app === 'helios' && x.env === 'dev' && x.process === 'web')).toMatchObject({ state: 'running' });
    });
  });
});
