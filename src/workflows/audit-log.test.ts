// The audit log read across servers with no CLI: entries from every server of the session, oldest
// first, each with its server; only one environment's with `env`; the last N with `tail`.
import { describe, expect, it } from 'vitest';
import { deployWith, fakeWorld, upAll } from '../../test/support/fake-session.ts';
import { readAuditLog } from './audit-log.ts';
import { releaseLock } from './lock-admin.ts';
import { EnvLock } from './lock.ts';
import { setMaintenance } from './maintenance.ts';

describe('readAuditLog', () => {
  it('merges the servers’ logs in time order; filters by environment; keeps the last N', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const r = await deployWith(w, 'web', 'prod');
    w.clock.t += 1000;
    await setMaintenance(w.run('s2'), { app: 'web', env: 'qual', on: true });
    w.clock.t += 1000;
    await new EnvLock(w.engine('s1'), 'acme', 'staging').acquire({ command: 'deploy web staging', now: () => w.clock.t });
    await releaseLock(w.session, { env: 'staging' });

    const all = await readAuditLog(w.session);
    // (A deploy may also record when it started.)
    const done = all.filter((e) => e.outcome !== 'started');
    expect(done.map((e) => [e.server, e.action, e.env, e.outcome])).toEqual([
      ['s1', 'deploy', 'prod', 'ok'],
      ['s2', 'maintenance on', 'qual', 'ok'],
      ['s1', 'lock release', 'staging', 'ok'],
    ]);
    expect(done[0]).toMatchObject({ app: 'web', release: r.release, by: expect.stringContaining('@') });
    expect([...all.map((e) => e.at)].sort()).toEqual(all.map((e) => e.at));

    expect((await readAuditLog(w.session, { env: 'qual' })).map((e) => e.action)).toEqual(['maintenance on']);
    expect((await readAuditLog(w.session, { tail: 2 })).map((e) => e.action)).toEqual(['maintenance on', 'lock release']);
    expect(await readAuditLog(w.session, { env: 'nowhere' })).toEqual([]);
    expect(await readAuditLog(w.session, { tail: 0 })).toEqual([]);
  });
});
