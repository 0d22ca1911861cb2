// The plan of the servers a command works on: observe each server, diff it against its desired
// state. `plan` prints what `planFleet` returns; `up` applies, server by server, what
// `planServer` returns — the same actions for that server, since each server is diffed on its own.
import { diff } from '../plan/diff/diff.ts';
import type { ObservedServer, ObservedState } from '../plan/diff/observed.ts';
import type { DiffOptions, Plan } from '../plan/diff/plan.ts';
import type { DesiredState } from '../plan/desire/desired.ts';
import { observeRun } from './observe.ts';
import type { ServerRun } from './server-run.ts';

export interface ServerPlan {
  plan: Plan;
  /** What the plan was computed from; deletions act on these objects. */
  observed: ObservedServer;
}

/** One server's plan, from what runs there now. */
export async function planServer(run: ServerRun, opts: DiffOptions = {}): Promise<ServerPlan> {
  const observed = await observeRun(run);
  const project = run.fleet.project;
  return { plan: diff({ project, servers: [run.state] }, { project, servers: [observed] }, opts), observed };
}

/** The plan of every server of a session (in the desired order), and what was observed. */
export async function planFleet(desired: DesiredState, runs: Iterable<ServerRun>, opts: DiffOptions = {}): Promise<{ plan: Plan; observed: ObservedState }> {
  const observed: ObservedState = { project: desired.project, servers: await Promise.all([...runs].map(observeRun)) };
  return { plan: diff(desired, observed, opts), observed };
}
