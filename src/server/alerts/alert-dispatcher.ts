// Sends alert transitions to every notifier: each transition once to each notifier. A failed send
// stays in that notifier's outbox with its error and is tried again on the next dispatch, before
// anything newer (so a notifier sees firing before resolved); a transition already queued or
// sent is never queued again. Dispatches run one at a time. The outbox is bounded: past
// `maxPending` per notifier the oldest entries are dropped and counted. Its state (what each
// notifier was sent and still owes) is plain JSON: the control plane saves it after each dispatch
// and restores it on start, so that a restart neither sends a transition again nor forgets one.
import type { AlertTransition } from './alert-evaluator.ts';
import type { Notifier } from './notifier.ts';

export interface DispatchRecord {
  notifier: string;
  key: string;
  status: AlertTransition['status'];
  attempts: number;
  error?: string;
  at: number;
}

export interface DispatchResult {
  sent: DispatchRecord[];
  failed: DispatchRecord[];
}

export interface AlertDispatcherOptions {
  notifiers: Notifier[];
  now: () => number;
  maxPending?: number;
}

export interface AlertDispatcher {
  /** Queues `transitions` for every notifier, then sends everything queued. */
  dispatch(transitions: AlertTransition[]): Promise<DispatchResult>;
  /** Sends still owed, with their last error. */
  pending(): DispatchRecord[];
  /** Entries dropped because an outbox was full, per notifier. */
  dropped(): Record<string, number>;
  snapshot(): DispatcherSnapshot;
  /** Takes over what a snapshot holds for the notifiers of the same name (others are left out). */
  restore(snapshot: DispatcherSnapshot): void;
}

export interface DispatcherSnapshot {
  version: 1;
  lanes: { notifier: string; seen: string[]; outbox: { id: string; t: AlertTransition; attempts: number; error?: string; at: number }[]; dropped: number }[];
}

interface Entry {
  id: string;
  t: AlertTransition;
  attempts: number;
  error?: string;
  at: number;
}

/** Identifies a transition: one alert key changes status at most once per instant. */
export const transitionId = (t: AlertTransition): string => `${t.key}|${t.status}|${t.at}`;

const SEEN_LIMIT = 10_000;

export function createAlertDispatcher(opts: AlertDispatcherOptions): AlertDispatcher {
  const maxPending = opts.maxPending ?? 500;
  const lanes = opts.notifiers.map((notifier) => ({ notifier, outbox: [] as Entry[], seen: new Set<string>(), dropped: 0 }));
  let chain: Promise<unknown> = Promise.resolve();

  const record = (notifier: string, e: Entry): DispatchRecord => ({
    notifier,
    key: e.t.key,
    status: e.t.status,
    attempts: e.attempts,
    ...(e.error !== undefined ? { error: e.error } : {}),
    at: e.at,
  });

  const run = async (transitions: AlertTransition[]): Promise<DispatchResult> => {
    const result: DispatchResult = { sent: [], failed: [] };
    await Promise.all(
      lanes.map(async (lane) => {
        for (const t of transitions) {
          const id = transitionId(t);
          if (lane.seen.has(id)) continue;
          lane.seen.add(id);
          if (lane.seen.size > SEEN_LIMIT) lane.seen.delete(lane.seen.values().next().value!);
          lane.outbox.push({ id, t, attempts: 0, at: opts.now() });
        }
        while (lane.outbox.length > maxPending) {
          lane.outbox.shift();
          lane.dropped++;
        }
        // In order; the first failure stops this notifier until the next dispatch.
        while (lane.outbox.length > 0) {
          const e = lane.outbox[0]!;
          e.attempts++;
          e.at = opts.now();
          try {
            await lane.notifier.send(e.t);
          } catch (err) {
            e.error = err instanceof Error ? err.message : String(err);
            result.failed.push(record(lane.notifier.name, e));
            break;
          }
          lane.outbox.shift();
          delete e.error;
          result.sent.push(record(lane.notifier.name, e));
        }
      }),
    );
    return result;
  };

  return {
    dispatch(transitions) {
      const next = chain.then(() => run(transitions));
      chain = next.catch(() => undefined);
      return next;
    },
    pending() {
      return lanes.flatMap((lane) => lane.outbox.map((e) => record(lane.notifier.name, e)));
    },
    dropped() {
      return Object.fromEntries(lanes.map((lane) => [lane.notifier.name, lane.dropped]));
    },
    snapshot() {
      return {
        version: 1,
        lanes: lanes.map((lane) => ({ notifier: lane.notifier.name, seen: [...lane.seen], outbox: lane.outbox.map((e) => ({ ...e })), dropped: lane.dropped })),
      };
    },
    restore(snap) {
      if (snap?.version !== 1 || !Array.isArray(snap.lanes)) return;
      for (const saved of snap.lanes) {
        const lane = lanes.find((l) => l.notifier.name === saved.notifier);
        if (!lane || !Array.isArray(saved.seen) || !Array.isArray(saved.outbox)) continue;
        lane.seen = new Set(saved.seen.slice(-SEEN_LIMIT));
        lane.outbox = saved.outbox.filter((e) => typeof e?.id === 'string' && e.t).map((e) => ({ ...e }));
        lane.dropped = Number(saved.dropped) || 0;
      }
    },
  };
}
