// Runs the fleet's scheduled jobs with croner: each job on its cron (UTC), never overlapping
// itself (a run due while the previous one still runs is skipped and reported), and after a
// restart a run missed while the control plane was down is caught up once, not once per missed
// slot. What is persisted (through the injected store) is each job's last finished run and when
// the job was first seen; a run killed by the restart did not finish, so it is caught up too.
// The clock is injected for everything croner lets us: catch-up, records and listed times
// (croner's own timers read the system clock).
import { Cron } from 'croner';
import { CRON_OPTIONS, cronOf, missedRun, nextRuns } from './cron-times.ts';
import type { ScheduledJob } from './jobs.ts';

export interface LastRun {
  /** When it started (ms since the epoch). */
  at: number;
  outcome: 'ok' | 'failed';
  durationMs: number;
  /** First line of the failure. */
  error?: string;
  trigger: RunTrigger;
}

/** What is persisted per job. */
export interface JobRecord {
  /** When the scheduler first saw the job: missed runs are counted from here until it has run. */
  since: number;
  lastRun?: LastRun;
}

export interface ScheduleStore {
  load(): Promise<Record<string, JobRecord>>;
  save(id: string, record: JobRecord): Promise<void>;
}

export type RunTrigger = 'schedule' | 'catch-up' | 'manual';

export type ScheduleEvent =
  | { kind: 'started'; id: string; trigger: RunTrigger }
  | { kind: 'finished'; id: string; trigger: RunTrigger; run: LastRun }
  | { kind: 'skipped'; id: string; trigger: RunTrigger; reason: string }
  | { kind: 'catch-up'; id: string; missedSlot: number; missedSlots: number }
  | { kind: 'store-failed'; id: string; error: string }
  | { kind: 'invalid-schedule'; id: string; cron: string; error: string };

export interface SchedulerOptions {
  jobs: readonly ScheduledJob[];
  run: (job: ScheduledJob) => Promise<unknown>;
  store: ScheduleStore;
  now: () => number;
  onEvent?: (e: ScheduleEvent) => void;
  /** Start croner timers (default true); off, jobs run only by catch-up and `runNow`. */
  timers?: boolean;
}

export type RunResult = { status: 'ran'; run: LastRun } | { status: 'busy' };

export interface ScheduleRow {
  id: string;
  cron: string;
  work: ScheduledJob['work'];
  /** The next run times, ISO 8601 UTC. */
  next: string[];
  lastRun?: LastRun;
  running: boolean;
  /** Why the job never runs on its own (its cron could not be read); it can still be run now. */
  problem?: string;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #records = new Map<string, JobRecord>();
  readonly #running = new Map<string, Promise<LastRun>>();
  readonly #crons: Cron[] = [];
  readonly #problems = new Map<string, string>();
  #started = false;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
  }

  /** Loads the records, starts the catch-up runs (not awaited: see `idle`) and the timers; returns the ids caught up. */
  async start(): Promise<{ caughtUp: string[] }> {
    if (this.#started) throw new Error('the scheduler is already started');
    this.#started = true;
    const { jobs, store, now } = this.#opts;
    const loaded = await store.load();
    const caughtUp: string[] = [];
    const t = now();
    for (const job of jobs) {
      try {
        cronOf(job.cron);
      } catch (e) {
        this.#problems.set(job.id, firstLine(e));
        this.#emit({ kind: 'invalid-schedule', id: job.id, cron: job.cron, error: firstLine(e) });
      }
    }
    const valid = jobs.filter((j) => !this.#problems.has(j.id));
    for (const job of valid) {
      const rec = loaded[job.id];
      if (!rec) {
        this.#records.set(job.id, { since: t });
        await this.#persist(job.id);
        continue;
      }
      this.#records.set(job.id, rec);
      const missed = missedRun(job.cron, rec.lastRun?.at ?? rec.since, t);
      if (!missed) continue;
      this.#emit({ kind: 'catch-up', id: job.id, missedSlot: missed.slot, missedSlots: missed.slots });
      caughtUp.push(job.id);
      void this.#fire(job, 'catch-up');
    }
    if (this.#opts.timers !== false) {
      for (const job of valid) {
        const protect = () => this.#emit({ kind: 'skipped', id: job.id, trigger: 'schedule', reason: 'the previous run is still going' });
        // No `name`: croner keeps named jobs in a module-wide list.
        this.#crons.push(
          new Cron(job.cron, { ...CRON_OPTIONS, protect, catch: true, unref: true }, async () => {
            await this.#fire(job, 'schedule');
          }),
        );
      }
    }
    return { caughtUp };
  }

  /** Stops the timers; runs under way go on (await `idle`). */
  stop(): void {
    for (const c of this.#crons.splice(0)) c.stop();
  }

  /** Runs a job now (the dashboard's "verify now"), unless it is already running. */
  async runNow(id: string): Promise<RunResult> {
    const job = this.#opts.jobs.find((j) => j.id === id);
    if (!job) throw new Error(`no scheduled job "${id}"`);
    return this.#fire(job, 'manual');
  }

  /** Every job with its next `count` run times, last run and whether it runs now. */
  list(count = 3): ScheduleRow[] {
    const t = this.#opts.now();
    return this.#opts.jobs.map((job) => {
      const lastRun = this.#records.get(job.id)?.lastRun;
      const problem = this.#problems.get(job.id);
      return {
        id: job.id,
        cron: job.cron,
        work: job.work,
        next: problem ? [] : nextRuns(job.cron, t, count).map((ms) => new Date(ms).toISOString()),
        ...(lastRun ? { lastRun } : {}),
        running: this.#running.has(job.id),
        ...(problem ? { problem } : {}),
      };
    });
  }

  /** Resolves when no run is under way. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()]);
  }

  /** Runs `job` unless it runs already: the one guard for timers, catch-up and manual runs alike. */
  async #fire(job: ScheduledJob, trigger: RunTrigger): Promise<RunResult> {
    const under = this.#running.get(job.id);
    if (under) {
      this.#emit({ kind: 'skipped', id: job.id, trigger, reason: 'the previous run is still going' });
      return { status: 'busy' };
    }
    const p = this.#runOnce(job, trigger);
    this.#running.set(job.id, p);
    try {
      return { status: 'ran', run: await p };
    } finally {
      this.#running.delete(job.id);
    }
  }

  async #runOnce(job: ScheduledJob, trigger: RunTrigger): Promise<LastRun> {
    const { now } = this.#opts;
    const at = now();
    this.#emit({ kind: 'started', id: job.id, trigger });
    let run: LastRun;
    try {
      await this.#opts.run(job);
      run = { at, outcome: 'ok', durationMs: now() - at, trigger };
    } catch (e) {
      run = { at, outcome: 'failed', durationMs: now() - at, error: firstLine(e), trigger };
    }
    const rec = this.#records.get(job.id) ?? { since: at };
    this.#records.set(job.id, { ...rec, lastRun: run });
    await this.#persist(job.id);
    this.#emit({ kind: 'finished', id: job.id, trigger, run });
    return run;
  }

  async #persist(id: string): Promise<void> {
    try {
      await this.#opts.store.save(id, this.#records.get(id)!);
    } catch (e) {
      this.#emit({ kind: 'store-failed', id, error: firstLine(e) });
    }
  }

  #emit(e: ScheduleEvent): void {
    this.#opts.onEvent?.(e);
  }
}
