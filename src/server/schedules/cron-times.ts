// Cron arithmetic for the scheduler, pure (croner computes, nothing is scheduled here): the next
// run times of a schedule, and whether a run was missed between the last one and now. Schedules
// are the fleet file's: 5 fields (6 with seconds) or an @alias, in UTC, as config/normalize-backup.ts
// validates them.
import { Cron } from 'croner';

/**
 * How croner reads the fleet's schedules: UTC, 5 or 6 fields, and `5/15` (a numeric start before
 * the step) accepted, as the fleet file's validation (cron-parser) accepts it.
 */
export const CRON_OPTIONS = { timezone: 'UTC', mode: '5-or-6-parts', sloppyRanges: true } as const;

/** A croner pattern that never starts a timer (no function is given): for computing times only. */
export function cronOf(pattern: string): Cron {
  return new Cron(pattern, { ...CRON_OPTIONS, paused: true });
}

/** The next `count` run times strictly after `from` (ms since the epoch). */
export function nextRuns(pattern: string, from: number, count: number): number[] {
  return cronOf(pattern)
    .nextRuns(count, new Date(from))
    .map((d) => d.getTime());
}

/**
 * The run missed between `lastRun` and `now`, if any: one run, whatever the number of slots that
 * passed (`slots` counts them up to `cap`, for the record). `slot` is the latest missed time and
 * `first` the earliest.
 */
export function missedRun(pattern: string, lastRun: number, now: number, cap = 1000): { slot: number; first: number; slots: number } | undefined {
  const cron = cronOf(pattern);
  const first = cron.nextRun(new Date(lastRun));
  if (!first || first.getTime() > now) return undefined;
  // previousRuns looks strictly before the whole second it is given: one second on includes `now`'s own.
  const latest = cron.previousRuns(1, new Date(now + 1000))[0] ?? first;
  let slots = 1;
  for (let t: Date | null = first; slots < cap; slots++) {
    t = cron.nextRun(t);
    if (!t || t.getTime() > now) break;
  }
  return { slot: latest.getTime(), first: first.getTime(), slots };
}
