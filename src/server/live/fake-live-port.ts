// A fake LivePort for in-process tests of the live routes: a job writes the steps it is given and
// then waits until the test releases it (finish/fail); a log follow hands on the lines the test
// pushes until its signal aborts, and counts the follows still open (a leak shows as a count
// that stays up); releases are given.
import type { Output } from '../../util/output.ts';
import type { DeployJobRequest, LiveLogLine, LivePort, LogHandlers, LogsRequest, ReleaseView, RollbackJobRequest, VerifyJobRequest } from './live-port.ts';

interface Pending {
  action: string;
  req: DeployJobRequest | RollbackJobRequest | VerifyJobRequest;
  out: Output;
  signal?: AbortSignal;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export class FakeLivePort implements LivePort {
  readonly pending: Pending[] = [];
  readonly follows: { req: LogsRequest; h: LogHandlers; signal: AbortSignal; ended: boolean }[] = [];
  releaseList: ReleaseView[] = [];
  /** Set to make the next followLogs reject before it is ready. */
  followError: unknown;

  /** Steps every job writes at once. */
  constructor(readonly steps: string[] = ['→ build …', '  ✓ build (1.0 s)']) {}

  deploy(req: DeployJobRequest, out: Output): Promise<unknown> {
    return this.#job('deploy', req, out);
  }

  rollback(req: RollbackJobRequest, out: Output): Promise<unknown> {
    return this.#job('rollback', req, out);
  }

  backupVerify(req: VerifyJobRequest, out: Output, signal: AbortSignal): Promise<unknown> {
    return this.#job('backup-verify', req, out, signal);
  }

  /** Ends the oldest waiting job with `result`. */
  finish(result: unknown): void {
    this.pending.shift()!.resolve(result);
  }

  fail(e: unknown): void {
    this.pending.shift()!.reject(e);
  }

  async followLogs(req: LogsRequest, h: LogHandlers, signal: AbortSignal): Promise<void> {
    if (this.followError !== undefined) {
      const e = this.followError;
      this.followError = undefined;
      throw e;
    }
    const f = { req, h, signal, ended: false };
    this.follows.push(f);
    h.onReady();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    f.ended = true;
  }

  /** Hands a line to every open follow. */
  push(line: LiveLogLine): void {
    for (const f of this.follows) if (!f.ended) f.h.onLine(line);
  }

  get openFollows(): number {
    return this.follows.filter((f) => !f.ended).length;
  }

  async releases(): Promise<ReleaseView[]> {
    return this.releaseList;
  }

  #job(action: string, req: Pending['req'], out: Output, signal?: AbortSignal): Promise<unknown> {
    for (const s of this.steps) out.write(`${s}\n`);
    return new Promise((resolve, reject) => this.pending.push({ action, req, out, ...(signal ? { signal } : {}), resolve, reject }));
  }
}
