// deploy() against FakeEngines, asserted on what ends up on the engine and in the server's state:
// infrastructure brought up on the first deploy, the image tagged per release, release commands run
// in one-off containers before any traffic moves, the new release's containers running and the old
// ones stopped (kept for rollback), history and audit written, and the environment lock always
// released. Failures leave the previous release running and say so in history and audit.
import { describe, expect, it } from 'vitest';
import { containersOf, deployWith, fakeWorld } from '../../test/support/fake-session.ts';
import { UserError } from '../diag/errors.ts';
import { readAudit } from './audit.ts';
import { UnhealthyError } from './health.ts';
import { EnvLock, LockHeldError, lockName } from './lock.ts';
import { readHistory } from './releases.ts';
import { buildServerRun } from './build-run.ts';
import { deploy } from './deploy.ts';

const names = (release: string) => [`acme-web-prod-web-0-${release}`, `acme-web-prod-worker-0-${release}`];
const createdNames = (calls: unknown[][]) => calls.map((a) => (a[0] as { name: string }).name);

describe('deploy (FakeEngine)', () => {
  it('first deploy: brings the infrastructure up, runs the release command, starts the release, records it, releases the lock', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r = await deployWith(w, 'web', 'prod');

    expect(r).toMatchObject({
      app: 'web',
      env: 'prod',
      server: 's1',
      image: `acme/web:prod-${r.release}`,
      urls: ['http://web.localhost:8080/'],
      recovered: [],
    });
    expect(r.release).toMatch(/^2025010100\d{4}$/);
    // Infrastructure: networks, the proxy, the state volume.
    expect([...f.networks.keys()]).toEqual(expect.arrayContaining(['acme-prod', 'acme-prod-edge', 'acme-staging', 'acme-staging-edge']));
    expect(containersOf(f, 'proxy', 'running')).toEqual(['acme-proxy']);
    // The release image is the app image, tagged for this release.
    expect(f.images.get(`acme/web:prod-${r.release}`)?.id).toBe(f.images.get('acme/web:v1')?.id);
    // The release command ran once, in a one-off container of the new image, and left nothing behind.
    const tasks = f.calls('runOnce').map((a) => a[0] as { name: string; image: string; cmd: string[]; envKeys: string[] });
    expect(tasks).toEqual([
      expect.objectContaining({
        name: `acme-web-prod-release-${r.release}-0`,
        image: r.image,
        cmd: ['node', 'server.js', 'migrate'],
        envKeys: expect.arrayContaining(['SLIPWAY_RELEASE']),
      }),
    ]);
    expect(containersOf(f, 'release-task')).toEqual([]);
    // The release runs: web and worker, nothing else of the app.
    expect(containersOf(f, 'app', 'running')).toEqual(names(r.release));
    expect(containersOf(f, 'app')).toEqual(names(r.release));
    // The release command ran before the first app container was created; the lock was taken
    // before anything of the app and is gone at the end.
    const ops = f.transcript;
    const firstApp = ops.findIndex((e) => e.op === 'createContainer' && names(r.release).includes((e.args[0] as { name: string }).name));
    const lockAt = ops.findIndex((e) => e.op === 'createContainer' && (e.args[0] as { name: string }).name === lockName('acme', 'prod'));
    expect(lockAt).toBeGreaterThanOrEqual(0);
    expect(lockAt).toBeLessThan(ops.findIndex((e) => e.op === 'runOnce'));
    expect(ops.findIndex((e) => e.op === 'runOnce')).toBeLessThan(firstApp);
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();

    const h = await readHistory(w.run('s1').store, 'web', 'prod');
    expect(h).toMatchObject({ current: r.release, releases: [{ release: r.release, status: 'live', image: r.image }] });
    const deploys = (await readAudit(w.run('s1').store)).filter((e) => e.action === 'deploy');
    expect(deploys.at(-1)).toMatchObject({ app: 'web', env: 'prod', release: r.release, outcome: 'ok' });
    expect(deploys.filter((e) => e.outcome === 'failed')).toEqual([]);
    // Nothing of this deploy touched the other server.
    expect(w.engine('s2').ops('createContainer', 'createNetwork')).toEqual([]);
  });

  it('next deploy: the new release runs, the old one is stopped and kept, history says which is live', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    f.clearTranscript();
    const r2 = await deployWith(w, 'web', 'prod');

    expect(r2.release).not.toBe(r1.release);
    expect(containersOf(f, 'app', 'running')).toEqual(names(r2.release));
    expect(containersOf(f, 'app', 'exited')).toEqual(names(r1.release));
    // The infrastructure was current: no network or proxy work this time.
    expect(f.ops('createNetwork')).toEqual([]);
    expect(createdNames(f.calls('createContainer')).filter((n) => !n.startsWith('acme-web-prod-'))).toEqual([lockName('acme', 'prod')]);
    const h = await readHistory(w.run('s1').store, 'web', 'prod');
    expect(h.current).toBe(r2.release);
    expect(h.releases.map((x) => [x.release, x.status])).toEqual([
      [r2.release, 'live'],
      [r1.release, 'previous'],
    ]);
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('an unhealthy release: previous one keeps running, history records the failure, audit says failed, lock released', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    w.health.status = 503;
    const err = await deployWith(w, 'web', 'prod').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(UnhealthyError);
    expect(containersOf(f, 'app', 'running')).toEqual(names(r1.release));
    expect(containersOf(f, 'app')).toEqual(names(r1.release));
    const h = await readHistory(w.run('s1').store, 'web', 'prod');
    expect(h.current).toBe(r1.release);
    expect(h.releases.map((x) => x.status)).toEqual(['failed', 'live']);
    expect(h.releases[0]!.note).toMatch(/did not become healthy/);
    expect((await readAudit(w.run('s1').store)).filter((e) => e.action === 'deploy').at(-1)).toMatchObject({ outcome: 'failed', app: 'web', env: 'prod' });
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('a failing release command: no container of the new release is created, the lock is released', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    f.onStart('acme-web-prod-release-', { exitCode: 3, logs: 'migration 42 failed\n' });
    f.clearTranscript();
    await expect(deployWith(w, 'web', 'prod')).rejects.toThrow(/release command "node server.js migrate" exited with code 3[\s\S]*migration 42 failed/);
    expect(createdNames(f.calls('createContainer')).filter((n) => n.startsWith('acme-web-prod-'))).toEqual([]);
    expect(containersOf(f, 'app', 'running')).toEqual(names(r1.release));
    expect(containersOf(f, 'release-task')).toEqual([]);
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('an environment locked by someone else: refused with who holds it, nothing started, their lock kept', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    await deployWith(w, 'web', 'prod');
    const other = await new EnvLock(f, 'acme', 'prod').acquire({ command: 'rollback web prod', now: () => w.clock.t });
    f.clearTranscript();
    const err = await deployWith(w, 'web', 'prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toContain('running "rollback web prod"');
    expect(f.ops('startContainer', 'runOnce', 'tagImage')).toEqual([]);
    expect(f.find(lockName('acme', 'prod'))?.spec.labels['slipway.lock.since']).toBe(other.since);
  });

  it('an image that is not on the server is refused with a hint, and the lock released', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const err = await deployWith(w, 'web', 'prod', { image: 'acme/web:v2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe('s1: image acme/web:v2 is not on the server');
    expect(containersOf(f, 'app')).toEqual([]);
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('--build-on another server: the release image is made there and streamed to the target, which lacked it', async () => {
    const w = await fakeWorld();
    const target = w.engine('s1');
    const builder = w.engine('s2');
    target.images.delete('acme/web:v1');
    const app = w.fleet.apps[0]!;
    const env = w.fleet.environments.find((e) => e.name === 'prod')!;
    const r = await deploy(w.run('s1'), app, env, { drainMs: 0, keep: 3, lockWaitS: 0, buildOn: buildServerRun(w.session, 's2') });
    expect(builder.ops('tagImage', 'saveImage')).toEqual(['tagImage', 'saveImage']);
    expect(target.ops('loadImage')).toEqual(['loadImage']);
    expect(target.images.get(r.image)?.id).toBe(builder.images.get(r.image)?.id);
    expect(containersOf(target, 'app', 'running')).toEqual(names(r.release));
    // The builder ran nothing of the app.
    expect(containersOf(builder, 'app')).toEqual([]);
  });
});
