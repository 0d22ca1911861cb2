// The control plane's background jobs, in memory: the newest `limit` (50) are kept (a running job
// is never dropped), at most one runs per environment (the CLI's environment lock still guards
// the servers; this answers a second job with 409 before it reaches them), and each job's output
// becomes its steps. Created per app (no module-level state); the clock and ids are injected.
import { randomBytes } from 'node:crypto';
import { answerError } from '../errors.ts';
import type { Output } from '../../util/output.ts';
import { Job, type JobDone, type JobInit } from './job.ts';

export interface JobsOptions {
  now: () => number;
  /** Jobs kept (finished ones beyond this are forgotten, oldest first). */
  limit?: number;
  /** Steps kept per job. */
  maxSteps?: number;
  newId?: () => string;
  /** The control plane's log: each step as `job ID: text`, and unexpected errors. */
  log?: (line: string) => void;
}

/** What a job's work gives back: its result, or a failure that carries a result too (a verification's mismatches). */
export type JobWork = (out: Output, signal: AbortSignal) => Promise<unknown>;

export const JOB_ID = /^[a-f0-9]{12}$/;

export class Jobs {
  readonly #jobs: Job[] = [];
  readonly #aborts = new Map<string, AbortController>();
  readonly #limit: number;
  readonly #maxSteps: number;
  readonly #newId: () => string;
  readonly #log: (line: string) => void;

  constructor(private readonly opts: JobsOptions) {
    this.#limit = opts.limit ?? 50;
    this.#maxSteps = opts.maxSteps ?? 500;
    this.#newId = opts.newId ?? (() => randomBytes(6).toString('hex'));
    this.#log = opts.log ?? (() => undefined);
  }

  /** The job running in `env`, if any. */
  runningIn(env: string): Job | undefined {
    return this.#jobs.find((j) => j.status === 'running' && j.init.env === env);
  }

  get(id: string): Job | undefined {
    return this.#jobs.find((j) => j.id === id);
  }

  /** Newest first. */
  list(): Job[] {
    return [...this.#jobs];
  }

  /** Listeners on every job's events (streams open). */
  listenerCount(): number {
    return this.#jobs.reduce((n, j) => n + j.listenerCount, 0);
  }

  /**
   * Starts `work` as a new job and returns it at once (running). Its output lines become steps;
   * its end marks the job ok (with what it returned) or failed (the error's first line and hint).
   * `onEnd` runs after (the audit entry). The caller checked runningIn(env) first.
   */
  start(init: Omit<JobInit, 'id'>, work: JobWork, onEnd?: (job: Job, done: JobDone) => void): Job {
    const job = new Job({ ...init, id: this.#newId() }, this.opts.now, this.#maxSteps);
    this.#jobs.unshift(job);
    this.#evict();
    const abort = new AbortController();
    this.#aborts.set(job.id, abort);
    const lines = new LineOutput((text) => {
      job.step(text);
      this.#log(`job ${job.id}: ${text}`);
    });
    const end = (done: JobDone) => {
      lines.flush();
      this.#aborts.delete(job.id);
      job.finish(done);
      this.#evict();
      try {
        onEnd?.(job, done);
      } catch (e) {
        this.#log(`job ${job.id}: after it ended: ${(e as Error)?.message ?? String(e)}`);
      }
    };
    // The work starts on the next turn: the caller answers 202 with the job first.
    Promise.resolve()
      .then(() => work(lines, abort.signal))
      .then(
        (result) => end({ status: 'ok', ...(result !== undefined ? { result } : {}) }),
        (e: unknown) => {
          const a = answerError(e);
          if (a.unexpected) this.#log(`job ${job.id}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
          const [first, ...more] = a.body.error.split('\n');
          // The rest of a multi-line message (each unreachable server…) goes into the steps.
          for (const line of more.slice(0, 20)) if (line.trim()) lines.write(`${line.trim()}\n`);
          const result = (e as { result?: unknown } | null)?.result;
          end({ status: 'failed', error: first ?? 'failed', hint: a.body.hint, ...(result !== undefined ? { result } : {}) });
        },
      );
    return job;
  }

  /** Asks every running job to stop (those whose work takes a signal: a verification); serve is stopping. */
  abortAll(): void {
    for (const a of this.#aborts.values()) a.abort();
  }

  #evict(): void {
    for (let i = this.#jobs.length - 1; i >= 0 && this.#jobs.length > this.#limit; i--) if (this.#jobs[i]!.status !== 'running') this.#jobs.splice(i, 1);
  }
}

/** An Output that hands on whole lines (trailing blanks trimmed, empty lines skipped). */
export class LineOutput implements Output {
  #buf = '';
  constructor(private readonly onLine: (text: string) => void) {}

  write(text: string): void {
    this.#buf += text;
    const lines = this.#buf.split(/\r?\n/);
    this.#buf = lines.pop() ?? '';
    for (const l of lines) this.#emit(l);
  }

  flush(): void {
    const rest = this.#buf;
    this.#buf = '';
    this.#emit(rest);
  }

  #emit(line: string): void {
    const t = line.trimEnd();
    if (t) this.onLine(t);
  }
}
