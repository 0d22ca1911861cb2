// One background job of the control plane (a deploy, a rollback, a backup verification): who
// started it, its progress lines as steps, and how it ended. Listeners get each new step and the
// end as they happen; a late listener gets the steps so far first (subscribe), so a browser that
// opens the stream after the job began misses nothing. Steps are capped (see StepLog).

export const JOB_ACTIONS = ['deploy', 'rollback', 'backup-verify'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];
export type JobStatus = 'running' | 'ok' | 'failed';

export interface JobStep {
  /** ISO 8601. */
  at: string;
  text: string;
}

/** How a job ended: the `done` event's data. */
export interface JobDone {
  status: 'ok' | 'failed';
  result?: unknown;
  /** The error's first line (never a stack, never a secret). */
  error?: string;
  hint?: string;
}

export type JobEvent = { type: 'step'; step: JobStep } | { type: 'done'; done: JobDone };

export interface JobInit {
  id: string;
  action: JobAction;
  env: string;
  app?: string;
  /** Who started it: a user name or `token NAME`. */
  by: string;
}

export interface JobView extends JobInit {
  status: JobStatus;
  startedAt: string;
  endedAt?: string;
  steps: JobStep[];
  result?: unknown;
  error?: string;
  hint?: string;
}

export interface Subscription {
  /** The steps so far (the listener gets only later ones). */
  steps: JobStep[];
  /** Set when the job had ended already (the listener was not added). */
  done?: JobDone;
  unsubscribe(): void;
}

export class Job {
  readonly startedAt: string;
  #status: JobStatus = 'running';
  #endedAt?: string;
  #done?: JobDone;
  readonly #steps: StepLog;
  readonly #listeners = new Set<(e: JobEvent) => void>();

  constructor(
    readonly init: JobInit,
    private readonly now: () => number,
    maxSteps: number,
  ) {
    this.startedAt = iso(now());
    this.#steps = new StepLog(maxSteps);
  }

  get id(): string {
    return this.init.id;
  }

  get status(): JobStatus {
    return this.#status;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  step(text: string): void {
    if (this.#status !== 'running') return;
    const step = { at: iso(this.now()), text };
    this.#steps.add(step);
    for (const l of [...this.#listeners]) l({ type: 'step', step });
  }

  finish(done: JobDone): void {
    if (this.#status !== 'running') return;
    this.#status = done.status;
    this.#endedAt = iso(this.now());
    this.#done = done;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const l of listeners) l({ type: 'done', done });
  }

  subscribe(listener: (e: JobEvent) => void): Subscription {
    const steps = this.#steps.list();
    if (this.#done) return { steps, done: this.#done, unsubscribe: () => undefined };
    this.#listeners.add(listener);
    return { steps, unsubscribe: () => void this.#listeners.delete(listener) };
  }

  view(): JobView {
    return { ...this.summary(), steps: this.#steps.list() };
  }

  /** The view without its steps (the job list). */
  summary(): Omit<JobView, 'steps'> & { steps?: never } {
    const d = this.#done;
    return {
      ...this.init,
      status: this.#status,
      startedAt: this.startedAt,
      ...(this.#endedAt ? { endedAt: this.#endedAt } : {}),
      ...(d?.result !== undefined ? { result: d.result } : {}),
      ...(d?.error !== undefined ? { error: d.error } : {}),
      ...(d?.hint !== undefined ? { hint: d.hint } : {}),
    };
  }
}

/**
 * The steps of one job, capped: the first `HEAD` and the newest `max - HEAD` are kept (a build can
 * print thousands of lines); a marker step says how many were left out in between.
 */
export class StepLog {
  static readonly HEAD = 100;
  readonly #head: JobStep[] = [];
  #tail: JobStep[] = [];
  #dropped = 0;

  constructor(private readonly max: number) {}

  add(step: JobStep): void {
    const head = Math.min(StepLog.HEAD, Math.floor(this.max / 2));
    if (this.#head.length < head) {
      this.#head.push(step);
      return;
    }
    this.#tail.push(step);
    const room = this.max - head;
    if (this.#tail.length > room) {
      const over = this.#tail.length - room;
      this.#tail = this.#tail.slice(over);
      this.#dropped += over;
    }
  }

  list(): JobStep[] {
    if (this.#dropped === 0) return [...this.#head, ...this.#tail];
    const at = this.#tail[0]?.at ?? this.#head[this.#head.length - 1]?.at ?? '';
    return [...this.#head, { at, text: `… ${this.#dropped} line(s) left out …` }, ...this.#tail];
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
