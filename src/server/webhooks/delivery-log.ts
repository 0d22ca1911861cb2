// The webhook deliveries kept in the serve data directory (the FileStore document
// `webhook-deliveries`): each delivery's latest record, newest first, the oldest dropped past
// `limit`. A delivery still queued or running when serve stopped is marked failed at the next
// start, so that the list never shows a deploy waiting forever; it can be redelivered.
import type { FileStore } from '../store/file-store.ts';
import type { Delivery } from './deliveries.ts';

const DOC = 'webhook-deliveries';

interface Doc {
  deliveries: Delivery[];
}

export class DeliveryLog {
  constructor(
    private readonly store: FileStore,
    private readonly limit = 200,
  ) {}

  /** Replaces the record of `d.id` (or adds it first). */
  async save(d: Delivery): Promise<void> {
    await this.store.update<Doc>(DOC, (doc) => {
      const list = doc?.deliveries ?? [];
      const at = list.findIndex((x) => x.id === d.id);
      if (at >= 0) list[at] = d;
      else list.unshift(d);
      return { deliveries: list.slice(0, this.limit) };
    });
  }

  /** Newest first. */
  async list(): Promise<Delivery[]> {
    return (await this.store.read<Doc>(DOC))?.deliveries ?? [];
  }

  async get(id: string): Promise<Delivery | undefined> {
    return (await this.list()).find((d) => d.id === id);
  }

  /** Marks the deploys a previous serve left queued or running as failed; returns how many deliveries changed. */
  async interrupted(now: number): Promise<number> {
    let changed = 0;
    const doc = await this.store.read<Doc>(DOC);
    if (!doc?.deliveries.some(unfinished)) return 0;
    await this.store.update<Doc>(DOC, (cur) => {
      const list = cur?.deliveries ?? [];
      for (const d of list) {
        if (!unfinished(d)) continue;
        changed++;
        for (const t of d.targets) {
          if (t.status !== 'queued' && t.status !== 'running') continue;
          t.status = 'failed';
          t.error = 'slipway serve stopped before this deploy ended: redeliver it';
          t.finishedAt = now;
        }
        d.verdict = 'failed';
      }
      return { deliveries: list };
    });
    return changed;
  }
}

function unfinished(d: Delivery): boolean {
  return d.verdict === 'queued' || d.verdict === 'running';
}
