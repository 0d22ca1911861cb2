// Lock status and release driven with no CLI, on two FakeEngines: every environment on each of its
// servers shows free or who holds it (and whether that holder is provably gone); releasing removes
// exactly the lock container, says who held it, audits it, and leaves other environments' locks.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { fakeWorld } from '../../test/support/fake-session.ts';
import { readAudit } from './audit.ts';
import { lockStatus, releaseLock } from './lock-admin.ts';
import { EnvLock, lockName } from './lock.ts';

describe('lockStatus', () => {
  it('one row per environment and server, free when nobody holds it', async () => {
    const w = await fakeWorld();
    expect(await lockStatus(w.session)).toEqual([
      { env: 'staging', server: 's1', locked: false, stale: false },
      { env: 'prod', server: 's1', locked: false, stale: false },
      { env: 'qual', server: 's2', locked: false, stale: false },
    ]);
    expect(await lockStatus(w.session, { envs: ['qual'] })).toEqual([{ env: 'qual', server: 's2', locked: false, stale: false }]);
  });

  it('a held lock shows its holder, command and since; alive here means not stale', async () => {
    const w = await fakeWorld();
    const held = await new EnvLock(w.engine('s1'), 'acme', 'staging').acquire({ command: 'deploy web staging', now: () => w.clock.t });
    const rows = await lockStatus(w.session, { envs: ['staging', 'prod'] });
    expect(rows).toEqual([
      { env: 'staging', server: 's1', locked: true, stale: false, ...held },
      { env: 'prod', server: 's1', locked: false, stale: false },
    ]);
    expect(rows[0]).toMatchObject({ command: 'deploy web staging', host: hostname(), pid: process.pid, since: '2025-01-01T00:00:00.000Z' });
  });

  it('a lock whose holder ran on this host and is gone is stale', async () => {
    const w = await fakeWorld();
    await new EnvLock(w.engine('s2'), 'acme', 'qual').acquire({ command: 'up', now: () => w.clock.t });
    const [row] = await lockStatus(w.session, { envs: ['qual'], isAlive: () => false });
    expect(row).toMatchObject({ env: 'qual', server: 's2', locked: true, stale: true, command: 'up' });
  });

  it('an unknown environment is refused', async () => {
    const w = await fakeWorld();
    await expect(lockStatus(w.session, { envs: ['prd'] })).rejects.toThrow('unknown environment "prd"');
  });
});

describe('releaseLock', () => {
  it('removes the lock container of that environment only, reports and audits who held it', async () => {
    const w = await fakeWorld();
    const s1 = w.engine('s1');
    const held = await new EnvLock(s1, 'acme', 'staging').acquire({ command: 'deploy web staging', now: () => w.clock.t });
    await new EnvLock(s1, 'acme', 'prod').acquire({ command: 'deploy web prod', now: () => w.clock.t });
    s1.clearTranscript();

    const r = await releaseLock(w.session, { env: 'staging' });

    expect(r).toEqual({ env: 'staging', released: [{ server: 's1', ...held }] });
    expect(s1.find(lockName('acme', 'staging'))).toBeUndefined();
    expect(s1.find(lockName('acme', 'prod'))).toBeDefined();
    expect(s1.calls('removeContainer')).toEqual([[lockName('acme', 'staging'), { force: true }]]);
    expect(w.engine('s2').ops('removeContainer')).toEqual([]);
    const log = await readAudit(w.run('s1').store);
    expect(log).toEqual([
      expect.objectContaining({
        action: 'lock release',
        env: 'staging',
        outcome: 'ok',
        detail: `was held by ${held.holder} (pid ${held.pid}) for "deploy web staging"`,
      }),
    ]);
    expect((await lockStatus(w.session, { envs: ['staging'] }))[0]!.locked).toBe(false);
  });

  it('a stale lock is released, and a new deploy can take the lock at once', async () => {
    const w = await fakeWorld();
    const s2 = w.engine('s2');
    await new EnvLock(s2, 'acme', 'qual').acquire({ command: 'deploy web qual', now: () => w.clock.t });
    expect((await lockStatus(w.session, { envs: ['qual'], isAlive: () => false }))[0]!.stale).toBe(true);
    const r = await releaseLock(w.session, { env: 'qual' });
    expect(r.released.map((x) => [x.server, x.command])).toEqual([['s2', 'deploy web qual']]);
    await new EnvLock(s2, 'acme', 'qual').acquire({ command: 'deploy web qual', now: () => w.clock.t, waitS: 0 });
    expect(s2.find(lockName('acme', 'qual'))?.spec.labels['slipway.lock.command']).toBe('deploy web qual');
  });

  it('an environment that is not locked: nothing removed, nothing audited', async () => {
    const w = await fakeWorld();
    const r = await releaseLock(w.session, { env: 'prod' });
    expect(r).toEqual({ env: 'prod', released: [] });
    expect(w.engine('s1').ops('removeContainer', 'putArchive')).toEqual([]);
    await expect(releaseLock(w.session, { env: 'prd' })).rejects.toThrow('unknown environment "prd"');
  });
});
