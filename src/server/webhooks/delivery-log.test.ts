// The delivery log in the data directory: the latest record per delivery, newest first, capped;
// deploys a stopped serve left queued or running are marked failed at the next start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../store/file-store.ts';
import type { Delivery } from './deliveries.ts';
import { DeliveryLog } from './delivery-log.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-delivery-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const delivery = (id: string, more: Partial<Delivery> = {}): Delivery => ({ id, receivedAt: 1, verdict: 'ignored', targets: [], skipped: [], ...more });

describe('DeliveryLog', () => {
  it('keeps the latest record of each delivery, newest first, at most `limit`', async () => {
    const log = new DeliveryLog(new FileStore(dir, { fsync: false }), 3);
    for (const id of ['a', 'b', 'c', 'd']) await log.save(delivery(id));
    await log.save(delivery('c', { verdict: 'refused' }));
    expect((await log.list()).map((d) => `${d.id} ${d.verdict}`)).toEqual(['d ignored', 'c refused', 'b ignored']);
    expect(await log.get('a')).toBeUndefined();
    // Another process (a restarted serve) reads the same.
    expect((await new DeliveryLog(new FileStore(dir)).list()).map((d) => d.id)).toEqual(['d', 'c', 'b']);
  });

  it('marks deploys left queued or running by a stopped serve as failed', async () => {
    const log = new DeliveryLog(new FileStore(dir, { fsync: false }));
    await log.save(
      delivery('w1', {
        verdict: 'running',
        targets: [
          { env: 'staging', status: 'running', startedAt: 5 },
          { env: 'dev', status: 'deployed', release: 'r1' },
        ],
      }),
    );
    await log.save(delivery('w2', { verdict: 'deployed', targets: [{ env: 'prod', status: 'deployed' }] }));
    expect(await log.interrupted(99)).toBe(1);
    expect(await log.get('w1')).toMatchObject({
      verdict: 'failed',
      targets: [
        { env: 'staging', status: 'failed', error: expect.stringMatching(/stopped before this deploy ended: redeliver it/), finishedAt: 99 },
        { env: 'dev', status: 'deployed' },
      ],
    });
    expect((await log.get('w2'))?.verdict).toBe('deployed');
    expect(await log.interrupted(100)).toBe(0);
  });
});
