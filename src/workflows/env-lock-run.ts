// Running work under environment locks, audited: `withEnvLock` (one environment: deploy,
// rollback) and `withEnvLocks` (several, taken in name order so two callers cannot deadlock: up,
// down) take the lock(s) on the server, drop state read before the lock was ours, write the audit
// entries ("started" once the lock is held, then "ok" or "failed" with the duration), and always
// release. While a move of an environment is under way, move-guard.ts refuses deploy, rollback,
// restore and down of it (except the move's own steps). Every state write made under the lock (the audit entries included) completes before the
// lock is released.
import { audit } from './audit.ts';
import { EnvLock } from './lock.ts';
import { MOVE_GUARDED, refuseDuringMove } from './move-guard.ts';
import type { ServerRun } from './server-run.ts';

export interface LockRunOptions {
  /** What the lock and the "started" entry say is running, e.g. `deploy web staging --ref develop`. */
  command: string;
  /** Audit action, e.g. `deploy`. */
  action: string;
  app?: string;
  /** Seconds to keep retrying while another operator holds a lock. */
  lockWaitS: number;
  /** State files to start reading as soon as the lock is ours (they overlap with the work's first calls). */
  prefetch?: readonly string[];
  /** Do not print the lock step (the caller reports progress its own way). */
  quiet?: boolean;
  /**
   * When the "started" entry is written: as soon as the lock is held (default), or at the work's
   * first `note()`, so that it names what the work chose (a deploy's release id). Either way it is
   * written before the final entry.
   */
  startedAt?: 'lock' | 'note';
  /** A step of a move of these environments (move-guard.ts refuses the others while a move is under way). */
  duringMove?: boolean;
}

/** Handed to the locked work: what the audit entries say beyond the defaults. */
export interface LockedRun {
  /** Fields for the final ("ok" or "failed") entry, e.g. the release once it is chosen. */
  note(fields: { release?: string; detail?: string }): void;
  /** When the lock was asked for (run.now()), for durations. */
  readonly t0: number;
}

/** `fn` under the lock of one environment. */
export function withEnvLock<T>(run: ServerRun, env: string, opts: LockRunOptions, fn: (locked: LockedRun) => Promise<T>): Promise<T> {
  return runLocked(run, [env], opts, fn);
}

/** `fn` under the locks of several environments (each taken in name order, released in reverse). */
export function withEnvLocks<T>(run: ServerRun, envs: readonly string[], opts: LockRunOptions, fn: (locked: LockedRun) => Promise<T>): Promise<T> {
  return runLocked(run, [...new Set(envs)].sort(), opts, fn);
}

const firstLine = (e: unknown): string => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

async function runLocked<T>(run: ServerRun, envs: string[], opts: LockRunOptions, fn: (locked: LockedRun) => Promise<T>): Promise<T> {
  const t0 = run.now();
  const server = run.conn.server.name;
  // With one environment the entries name it; `up` over several names none (it is about the server).
  const scope = { action: opts.action, ...(envs.length === 1 ? { env: envs[0] } : {}), ...(opts.app ? { app: opts.app } : {}) };
  const held: EnvLock[] = [];
  // A move under way may refuse this (move-guard.ts). Its record is read alongside the lock's
  // acquisition (no round trip of its own): only the move changes it, under its own lock.
  const guard = !opts.duringMove && MOVE_GUARDED.has(opts.action) ? Promise.all(envs.map((env) => refuseDuringMove(run, env, opts.action))) : undefined;
  guard?.catch(() => undefined);
  const acquire = async () => {
    for (const env of envs) {
      const lock = new EnvLock(run.conn.engine, run.fleet.project, env);
      await lock.acquire({ command: opts.command, waitS: opts.lockWaitS, now: run.now, onNote: (m) => run.report.warn(m) });
      held.push(lock);
    }
  };
  try {
    if (opts.quiet || envs.length === 0) await acquire();
    else await run.report.step(`lock ${envs.join(', ')} on ${server}`, acquire);
  } catch (e) {
    await releaseAll(run, held, true);
    throw e;
  }
  // Whatever was read before the lock was ours may predate the last holder's writes (even when we
  // never saw the lock held: it may have been released between our read and our acquire).
  run.store.forget();
  if (opts.prefetch) run.store.prefetch(opts.prefetch);
  if (guard) {
    try {
      await guard;
    } catch (e) {
      await releaseAll(run, held, true);
      throw e;
    }
  }
  const fields: { release?: string; detail?: string } = {};
  // Off the critical path; awaited (with every other state write) before the lock is released.
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    void audit(run.store, { ...scope, ...definedOf({ release: fields.release }), outcome: 'started', detail: opts.command }, run.now).catch(() => undefined);
  };
  if (opts.startedAt !== 'note') start();
  const note = (f: { release?: string; detail?: string }) => {
    Object.assign(fields, f);
    start();
  };
  let failed = false;
  try {
    const result = await fn({ note, t0 });
    start();
    await audit(run.store, { ...scope, ...definedOf(fields), outcome: 'ok', durationMs: run.now() - t0 }, run.now);
    return result;
  } catch (e) {
    failed = true;
    start();
    await audit(
      run.store,
      { ...scope, ...definedOf({ release: fields.release }), outcome: 'failed', durationMs: run.now() - t0, detail: firstLine(e) },
      run.now,
    ).catch(() => undefined);
    throw e;
  } finally {
    await run.store.flush();
    await releaseAll(run, held, failed);
  }
}

function definedOf<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Releases in reverse order. After a failure, a lock that cannot be released is only reported (the first error matters more). */
async function releaseAll(run: ServerRun, held: EnvLock[], quietly: boolean): Promise<void> {
  let first: unknown;
  for (const lock of [...held].reverse()) {
    try {
      await lock.release();
    } catch (e) {
      run.report.warn(`could not release the lock on ${lock.env} (${firstLine(e)}); release it with: slipway lock release ${lock.env}`);
      first ??= e;
    }
  }
  if (first !== undefined && !quietly) throw first;
}
