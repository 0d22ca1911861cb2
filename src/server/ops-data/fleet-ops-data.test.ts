// The real OpsData over FakeEngines (the fleet runtime with an injected connector): the listing
// workflows' rows as the API shapes them, and a server that cannot be reached named with its
// error while the other server's rows are still listed.
import { describe, expect, it } from 'vitest';
import { fakeWorld, TWO_SERVERS } from '../../../test/support/fake-session.ts';
import type { BackupRecord } from '../../backup/record.ts';
import type { Fleet } from '../../config/fleet.ts';
import { writeRecord } from '../../workflows/backup/records.ts';
import { EnvLock } from '../../workflows/lock.ts';
import { createFleetOpsData } from './fleet-ops-data.ts';
import { partSessions } from './part-sessions.ts';

const BACKUPS = `${TWO_SERVERS}backups: { recipients: [age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq] }\n`.replace(
  'staging: { server: s1,',
  'staging: { server: s1, backup: { to: [local] },',
);

async function world(down: string[] = []) {
  const w = await fakeWorld(BACKUPS);
  const data = createFleetOpsData({
    loadFleet: async (): Promise<Fleet> => w.fleet,
    now: () => w.clock.t,
    scheduleRows: () => [
      {
        id: 'backup:staging',
        cron: '0 3 * * *',
        work: { kind: 'backup', env: 'staging' },
        next: ['2025-01-01T03:00:00.000Z'],
        lastRun: { at: Date.UTC(2024, 11, 31, 3), outcome: 'failed', durationMs: 5, error: 'no space', trigger: 'catch-up' },
        running: false,
      },
    ],
    sessions: partSessions({
      log: { write: () => undefined },
      now: () => w.clock.t,
      env: {},
      cwd: '/tmp',
      connector: async (server) => {
        if (down.includes(server.name)) throw Object.assign(new Error(`cannot connect to ${server.name}: ECONNREFUSED`), { hint: 'is it up?' });
        return { ...w.session.connections.find((c) => c.server.name === server.name)!, close: async () => {} };
      },
    }),
  });
  return { w, data };
}

describe('createFleetOpsData', () => {
  it('lists held locks per server; an unreachable server is an entry with its error', async () => {
    const { w, data } = await world(['s2']);
    await new EnvLock(w.engine('s1'), 'acme', 'prod').acquire({ command: 'deploy web prod', now: () => w.clock.t });
    const locks = await data.locks();
    expect(locks).toEqual([
      expect.objectContaining({ server: 's1', env: 'prod', command: 'deploy web prod', since: '2025-01-01T00:00:00.000Z', stale: false }),
      { server: 's2', error: 'cannot connect to s2: ECONNREFUSED', hint: 'is it up?' },
    ]);
    expect(await data.certs()).toEqual([{ server: 's2', error: 'cannot connect to s2: ECONNREFUSED', hint: 'is it up?' }]);
  });

  it('lists backups with age, size, status and the last verification', async () => {
    const { w, data } = await world();
    const record: BackupRecord = {
      format: 'slipway-backup-record/1',
      id: '20241231T220000Z-1a2b',
      project: 'acme',
      env: 'staging',
      server: 's1',
      status: 'ok',
      startedAt: '2024-12-31T22:00:00.000Z',
      by: 'schedule',
      what: ['volumes'],
      destinations: [{ name: 'local', status: 'ok', objects: 1, bytes: 2048 }],
      bytes: 2048,
      plainBytes: 4096,
      verifiedAt: '2024-12-31T23:00:00.000Z',
      verification: { at: '2024-12-31T23:00:00.000Z', durationMs: 900, result: 'failed', detail: 'media: 1 file differs' },
    };
    await writeRecord(w.run('s1'), record);
    expect(await data.backups('staging')).toEqual({
      backups: [
        {
          id: record.id,
          at: record.startedAt,
          ageS: 7200,
          sizeBytes: 2048,
          status: 'ok',
          complete: ['local'],
          verifiedAt: '2024-12-31T23:00:00.000Z',
          verifyOk: false,
          verifyDetail: 'media: 1 file differs',
        },
      ],
      errors: [],
    });
    const down = await world(['s1']);
    expect(await down.data.backups('staging')).toEqual({
      backups: [],
      errors: [{ server: 's1', error: 'cannot connect to s1: ECONNREFUSED', hint: 'is it up?' }],
    });
  });

  it('shows each job with its next runs and last run in ISO time', async () => {
    const { data } = await world();
    expect(data.schedules()).toEqual([
      {
        id: 'backup:staging',
        kind: 'backup',
        env: 'staging',
        cron: '0 3 * * *',
        next: ['2025-01-01T03:00:00.000Z'],
        lastRun: { at: '2024-12-31T03:00:00.000Z', outcome: 'failed', durationMs: 5, error: 'no space', trigger: 'catch-up' },
        running: false,
      },
    ]);
  });
});
