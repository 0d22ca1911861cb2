// Deploys queued per environment: at most one runs per environment; while it runs, further jobs
// wait in a single slot where the newest wins (the one it replaces is settled as superseded).
// Each run goes through the injected `lock`, so the CLI's environment lock is the same lock as
// the webhook's; the runner is injected too. Environments do not wait for each other.

export type QueueOutcome<J, R> = { status: 'deployed'; result: R } | { status: 'failed'; error: unknown } | { status: 'superseded'; by: J };

/** Runs `work` holding the environment's lock (e.g. the server-side lock the CLI takes). */
export type EnvLockHook = <T>(env: string, work: () => Promise<T>) => Promise<T>;

export interface EnvQueueOptions<J, R> {
  run: (env: string, job: J) => Promise<R>;
  lock?: EnvLockHook;
}

interface Waiting<J, R> {
  job: J;
  settle: (o: QueueOutcome<J, R>) => void;
}

interface Lane<J, R> {
  running: J;
  done: Promise<void>;
  waiting?: Waiting<J, R>;
}

const noLock: EnvLockHook = (_env, work) => work();

export class EnvQueue<J, R> {
  readonly #run: (env: string, job: J) => Promise<R>;
  readonly #lock: EnvLockHook;
  readonly #lanes = new Map<string, Lane<J, R>>();

  constructor(opts: EnvQueueOptions<J, R>) {
    this.#run = opts.run;
    this.#lock = opts.lock ?? noLock;
  }

  /** Queues `job` for `env`; settles once it ran (or failed), or when a newer job replaced it while waiting. Never rejects. */
  enqueue(env: string, job: J): Promise<QueueOutcome<J, R>> {
    return new Promise((settle) => {
      const lane = this.#lanes.get(env);
      if (!lane) {
        this.#start(env, { job, settle });
        return;
      }
      lane.waiting?.settle({ status: 'superseded', by: job });
      lane.waiting = { job, settle };
    });
  }

  /** What runs and what waits for `env`. */
  state(env: string): { running?: J; waiting?: J } {
    const lane = this.#lanes.get(env);
    return lane ? { running: lane.running, ...(lane.waiting ? { waiting: lane.waiting.job } : {}) } : {};
  }

  /** Resolves when no environment has a job running or waiting. */
  async idle(): Promise<void> {
    while (this.#lanes.size > 0) await Promise.all([...this.#lanes.values()].map((l) => l.done));
  }

  #start(env: string, w: Waiting<J, R>): void {
    const lane = { running: w.job } as Lane<J, R>;
    this.#lanes.set(env, lane);
    lane.done = (async () => {
      let next: Waiting<J, R> | undefined = w;
      while (next) {
        lane.running = next.job;
        const job = next.job;
        try {
          const result = await this.#lock(env, () => this.#run(env, job));
          next.settle({ status: 'deployed', result });
        } catch (error) {
          next.settle({ status: 'failed', error });
        }
        next = lane.waiting;
        lane.waiting = undefined;
      }
      this.#lanes.delete(env);
    })();
  }
}
