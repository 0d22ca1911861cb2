// rollback() against a FakeEngine, asserted on what ends up on the engine and in the server's
// state: the previous release's kept containers are started again (none created), the rolled-back
// release is stopped, history and audit say so, and the lock is always released. Impossible
// rollbacks are refused with a hint, audited as failed, and change nothing.
import { describe, expect, it } from 'vitest';
import { containersOf, deployWith, fakeWorld, type FakeWorld } from '../../test/support/fake-session.ts';
import { UserError } from '../diag/errors.ts';
import { readAudit } from './audit.ts';
import { lockName } from './lock.ts';
import { readHistory } from './releases.ts';
import { rollback } from './rollback.ts';

const names = (release: string) => [`acme-web-prod-web-0-${release}`, `acme-web-prod-worker-0-${release}`];

function rollbackWith(w: FakeWorld, release?: string) {
  const app = w.fleet.apps.find((a) => a.name === 'web')!;
  const env = w.fleet.environments.find((e) => e.name === 'prod')!;
  w.clock.t += 60_000;
  return rollback(w.run('s1'), app, env, { release, drainMs: 0, keep: 3, lockWaitS: 0 });
}

describe('rollback (FakeEngine)', () => {
  it('to the previous release: its kept containers start again, the current ones stop, history and audit say so', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    const r2 = await deployWith(w, 'web', 'prod');
    const kept = names(r1.release).map((n) => f.find(n)!.id);
    f.clearTranscript();

    const r = await rollbackWith(w);

    expect(r).toMatchObject({ app: 'web', env: 'prod', server: 's1', release: r1.release, image: r1.image, urls: ['http://web.localhost:8080/'] });
    expect(f.calls('createContainer').map((a) => (a[0] as { name: string }).name)).toEqual([lockName('acme', 'prod')]);
    expect(f.ops('runOnce', 'buildImage', 'tagImage')).toEqual([]);
    for (const id of kept) expect(f.calls('startContainer')).toContainEqual([id]);
    expect(containersOf(f, 'app', 'running')).toEqual(names(r1.release));
    expect(containersOf(f, 'app', 'exited')).toEqual(names(r2.release));
    const h = await readHistory(w.run('s1').store, 'web', 'prod');
    expect(h.current).toBe(r1.release);
    expect(h.releases.find((x) => x.release === r1.release)).toMatchObject({ status: 'live', note: `rollback from ${r2.release}` });
    expect(h.releases.find((x) => x.release === r2.release)?.status).toBe('previous');
    expect((await readAudit(w.run('s1').store)).at(-1)).toMatchObject({
      action: 'rollback',
      app: 'web',
      env: 'prod',
      release: r1.release,
      outcome: 'ok',
      detail: `from ${r2.release}`,
    });
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('to a named release, even when its containers were pruned: recreated from its image', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    await deployWith(w, 'web', 'prod');
    await deployWith(w, 'web', 'prod');
    for (const n of names(r1.release)) await f.removeContainer(n, { force: true });
    f.clearTranscript();
    const r = await rollbackWith(w, r1.release);
    expect(r.release).toBe(r1.release);
    expect(
      f
        .calls('createContainer')
        .map((a) => (a[0] as { name: string }).name)
        .filter((n) => n !== lockName('acme', 'prod')),
    ).toEqual(expect.arrayContaining(names(r1.release)));
    expect(containersOf(f, 'app', 'running')).toEqual(names(r1.release));
  });

  it('with nothing to roll back to: refused with a hint, audited as failed, nothing started, lock released', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    f.clearTranscript();
    const err = await rollbackWith(w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('web in prod has no previous release to roll back to');
    expect((err as UserError).hint).toBe('see the releases with: slipway releases web prod');
    expect(f.ops('startContainer', 'stopContainer')).toEqual([]);
    expect(containersOf(f, 'app', 'running')).toEqual(names(r1.release));
    expect((await readAudit(w.run('s1').store)).at(-1)).toMatchObject({ action: 'rollback', outcome: 'failed' });
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('refuses the live release, an unknown one, and one whose image is gone', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'prod');
    const r2 = await deployWith(w, 'web', 'prod');
    await expect(rollbackWith(w, r2.release)).rejects.toThrow(`release ${r2.release} is already live for web in prod`);
    await expect(rollbackWith(w, '19990101000000')).rejects.toThrow('release 19990101000000 of web in prod is unknown');
    f.images.delete(r1.image);
    await expect(rollbackWith(w)).rejects.toThrow(`the image of release ${r1.release} (${r1.image}) is no longer on s1`);
    expect(containersOf(f, 'app', 'running')).toEqual(names(r2.release));
    expect((await readHistory(w.run('s1').store, 'web', 'prod')).current).toBe(r2.release);
    expect(f.find(lockName('acme', 'prod'))).toBeUndefined();
  });

  it('refuses a release that failed when it was deployed', async () => {
    const w = await fakeWorld();
    await deployWith(w, 'web', 'prod');
    w.health.status = 503;
    await expect(deployWith(w, 'web', 'prod')).rejects.toThrow(/did not become healthy/);
    w.health.status = 200;
    const failed = (await readHistory(w.run('s1').store, 'web', 'prod')).releases.find((r) => r.status === 'failed')!;
    await expect(rollbackWith(w, failed.release)).rejects.toThrow(`release ${failed.release} failed when it was deployed; refusing to roll back to it`);
  });
});
