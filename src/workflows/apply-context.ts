// What the per-type appliers (apply-*.ts) share while one plan is applied on one server, and the
// small rules they all follow.
import { isNotFound } from '../engine/engine-errors.ts';
import type { RedisDbSpec } from '../plan/desire/desired.ts';
import type { ObservedServer } from '../plan/diff/observed.ts';
import type { Action } from '../plan/diff/plan.ts';
import type { ProxyInputs } from './proxy-config.ts';
import type { ServerRun } from './server-run.ts';

/** What the per-type appliers share during one apply. */
export interface ApplyContext {
  run: ServerRun;
  /** This server's actions, in order. */
  actions: readonly Action[];
  /** What the plan was computed from (the objects deletions act on). */
  observed: ObservedServer;
  /** Postgres instances (container keys) whose databases were converged during this apply. */
  converged: Set<string>;
  /** The Redis allocations as they are being recorded (written after each run of redis-db actions). */
  redis: RedisDbSpec[];
  /** Maintenance flags and basic-auth passwords, read once when the proxy first needs them. */
  proxyInputs?: ProxyInputs;
}

/** An action this applier has no rule for (a plan from a newer Slipway, or hand-edited). */
export function unsupported(a: Action): never {
  throw new Error(`${a.server}: cannot ${a.kind} ${a.type} ${a.id}: not supported by this version of slipway`);
}

/** Runs `fn`; an object that is already gone counts as done (`already gone`). */
export async function unlessGone(fn: () => Promise<string>): Promise<string> {
  try {
    return await fn();
  } catch (e) {
    if (isNotFound(e)) return 'already gone';
    throw e;
  }
}
