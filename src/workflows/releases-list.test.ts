// The releases listing driven with no CLI: empty before the first deploy; after deploys, rollback
// and a failed deploy, the history as the server keeps it (newest first, which is live, why one
// failed, what each was made from and by whom).
import { describe, expect, it } from 'vitest';
import { deployWith, fakeWorld } from '../../test/support/fake-session.ts';
import { operator } from './audit.ts';
import { listReleases } from './releases-list.ts';
import { rollback } from './rollback.ts';

describe('listReleases', () => {
  it('never deployed: no releases, nothing live', async () => {
    const w = await fakeWorld();
    expect(await listReleases(w.run('s1'), { app: 'web', env: 'prod' })).toEqual({ app: 'web', env: 'prod', current: null, releases: [] });
  });

  it('after deploys, a failed deploy and a rollback: newest first, with status, image, author and note', async () => {
    const w = await fakeWorld();
    const r1 = await deployWith(w, 'web', 'prod');
    const r2 = await deployWith(w, 'web', 'prod');
    w.health.status = 503;
    await expect(deployWith(w, 'web', 'prod')).rejects.toThrow(/did not become healthy/);
    w.health.status = 200;
    const app = w.fleet.apps[0]!;
    const env = w.fleet.environments.find((e) => e.name === 'prod')!;
    await rollback(w.run('s1'), app, env, { drainMs: 0, keep: 3, lockWaitS: 0 });

    const h = await listReleases(w.run('s1'), { app: 'web', env: 'prod' });
    expect(h.current).toBe(r1.release);
    expect(h.releases.map((r) => [r.status, r.release === r1.release ? 'r1' : r.release === r2.release ? 'r2' : 'r3'])).toEqual([
      ['live', 'r1'],
      ['failed', 'r3'],
      ['previous', 'r2'],
    ]);
    expect(h.releases[0]).toMatchObject({ image: r1.image, ref: 'acme/web:v1', deployedBy: operator(), note: `rollback from ${r2.release}` });
    expect(h.releases[1]!.note).toMatch(/did not become healthy/);
    // Another app env's history is its own.
    expect((await listReleases(w.run('s1'), { app: 'web', env: 'staging' })).releases).toEqual([]);
  });
});
