// `down ENV` / `down --all`: removes environments from their servers — their containers (every
// release), networks, routes, Redis DBs and databases — through the same observe → diff → apply
// path as `up`. The plan is the diff against the fleet *without* those environments, narrowed to
// removals: what carries the environment's label, or what only it used (a shared service or the
// proxy left with no environment). Data (volumes, databases, Redis DBs) is kept, and said so,
// unless --destroy-data. `planDown` shows the plan; `applyDown` recomputes it under the locks of
// the environments it removes and applies it only if it is still the plan that was shown.
import type { Fleet } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { LABELS } from '../model/labels.ts';
import { desire } from '../plan/desire/desire.ts';
import type { DesiredState, RedisDbSpec, ServerState } from '../plan/desire/desired.ts';
import { diff, summarize } from '../plan/diff/diff.ts';
import { redisDbId } from '../plan/diff/data.ts';
import type { ObservedServer } from '../plan/diff/observed.ts';
import type { Action, Kept, Plan } from '../plan/diff/plan.ts';
import { didYouMean } from '../util/did-you-mean.ts';
import { settleLimit } from '../util/map-limit.ts';
import { applyPlan, type AppliedAction } from './apply.ts';
import { withEnvLocks } from './env-lock-run.ts';
import { MAX_PARALLEL, type FleetSession } from './fleet-session.ts';
import { observeRun } from './observe.ts';
import type { ServerRun } from './server-run.ts';
import { forgetInfra } from './up.ts';

export interface DownTarget {
  /** The environments to remove (ignored with `all`). */
  envs: string[];
  /** Every environment of the project, and everything else it has on the servers. */
  all: boolean;
  destroyData: boolean;
}

export interface ServerDown {
  server: string;
  /** The environments being removed that have something on this server (the locks `down` takes). */
  envs: string[];
  plan: Plan;
}

export interface DownPlan {
  target: DownTarget;
  /** One entry per server with something to remove, in the fleet's order. */
  servers: ServerDown[];
  /** The servers' desired state once the environments are gone (routes and proxy config are rendered from it). */
  after: DesiredState;
}

export interface DownResult {
  server: string;
  plan: Plan;
  applied: AppliedAction[];
}

/** The fleet as if these environments were not in it. */
export function fleetWithout(fleet: Fleet, envs: ReadonlySet<string>): Fleet {
  return {
    ...fleet,
    environments: fleet.environments.filter((e) => !envs.has(e.name)),
    apps: fleet.apps.map((a) => ({
      ...a,
      environments: a.environments.filter((e) => !envs.has(e)),
      perEnv: Object.fromEntries(Object.entries(a.perEnv).filter(([e]) => !envs.has(e))),
    })),
  };
}

/** The plan of `down` on every server of the session (nothing is changed). */
export async function planDown(session: FleetSession, target: DownTarget): Promise<DownPlan> {
  const runs = [...session.runs.values()];
  const observed = await Promise.all(runs.map(observeRun));
  const found = new Set(observed.flatMap(envsIn));
  const fleetEnvs = session.fleet.environments.map((e) => e.name);
  for (const env of target.all ? [] : target.envs) {
    if (fleetEnvs.includes(env) || found.has(env)) continue;
    const guess = didYouMean(env, [...new Set([...fleetEnvs, ...found])]);
    throw new UserError(
      `unknown environment "${env}": not in the fleet, and nothing of it on the servers`,
      guess ? `did you mean "${guess}"?` : `environments in the fleet: ${fleetEnvs.join(', ') || '(none)'}`,
    );
  }
  const gone = new Set(target.all ? [...fleetEnvs, ...found] : target.envs);
  const allocations: RedisDbSpec[] = observed.flatMap((o) => o.redisDbs ?? []);
  const after = desire(fleetWithout(session.fleet, gone), { redisAllocations: allocations });
  const servers: ServerDown[] = [];
  for (const [i, run] of runs.entries()) {
    const d = downServerPlan(run, after, observed[i]!, gone, target);
    if (d.plan.actions.length + d.plan.kept.length > 0) servers.push(d);
  }
  return { target, servers, after };
}

/**
 * Carries out a plan `planDown` returned, server by server (in parallel, bounded): under the
 * locks of the environments it removes there, the plan is computed again and applied only if it
 * is the one that was shown. One failing server does not stop the others.
 */
export async function applyDown(
  session: FleetSession,
  shown: DownPlan,
  opts: { lockWaitS: number; duringMove?: boolean },
): Promise<{ results: DownResult[]; failures: { server: string; error: string; hint?: string }[] }> {
  const todo = shown.servers.filter((s) => s.plan.actions.length > 0);
  const settled = await settleLimit(todo, MAX_PARALLEL, async (s) => {
    const run = session.runs.get(s.server)!;
    const command = `down ${shown.target.all ? '--all' : shown.target.envs.join(' ')}${shown.target.destroyData ? ' --destroy-data' : ''}`;
    return withEnvLocks(
      run,
      s.envs,
      { command, action: 'down', lockWaitS: opts.lockWaitS, ...(opts.duringMove ? { duringMove: true } : {}) },
      async (locked) => {
        const observed = await observeRun(run);
        const gone = new Set(shown.target.all ? [...s.envs, ...envsIn(observed)] : shown.target.envs);
        const now = downServerPlan(run, shown.after, observed, gone, shown.target);
        if (JSON.stringify(now.plan) !== JSON.stringify(s.plan)) {
          throw new UserError(
            `${s.server}: what runs changed since the plan was shown (${now.plan.actions.length} actions now, ${s.plan.actions.length} shown): nothing was done`,
            'run slipway down again to see the new plan',
          );
        }
        const applied = await applyPlan(after(run, shown.after), now.plan, observed);
        // The next deploy plans its infrastructure again (the environment may still be in the fleet).
        await forgetInfra(run);
        locked.note({ detail: `${applied.length} actions; ${now.plan.kept.length} kept` });
        return { server: s.server, plan: now.plan, applied };
      },
    );
  });
  return {
    results: settled.flatMap((r) => (r.ok ? [r.value] : [])),
    failures: settled.flatMap((r, i) =>
      r.ok ? [] : [{ server: todo[i]!.server, error: (r.error as Error).message, hint: (r.error as { hint?: string }).hint }],
    ),
  };
}

/** This server's run as seen once the environments are gone (its state after them). */
export function after(run: ServerRun, desired: DesiredState): ServerRun {
  return { ...run, desired, state: serverState(desired, run.conn.server.name) };
}

function serverState(desired: DesiredState, server: string): ServerState {
  const s = desired.servers.find((x) => x.server === server);
  if (!s) throw new Error(`server ${server} is not in the fleet`);
  return s;
}

/**
 * The removals on one server: the diff against the state without `gone`, keeping only deletes
 * (and the proxy reload that drops their routes). With `all`, every delete; otherwise the ones
 * of objects labelled with a removed environment, or that the fleet as it stands keeps (so they
 * go because of this removal, not because they were already stale).
 */
function downServerPlan(run: ServerRun, afterState: DesiredState, observed: ObservedServer, gone: ReadonlySet<string>, target: DownTarget): ServerDown {
  const project = run.fleet.project;
  const server = run.conn.server.name;
  const opts = { destroyData: target.destroyData };
  const later = diff({ project, servers: [serverState(afterState, server)] }, { project, servers: [observed] }, opts);
  const now = diff({ project, servers: [run.state] }, { project, servers: [observed] }, opts);
  const stale = new Set([...now.actions.filter((a) => a.kind === 'delete').map(idOf), ...now.kept.map(idOf)]);
  const ours = (x: Action | Kept) => target.all || gone.has(envOf(x, observed) ?? '') || !stale.has(idOf(x));
  const removals = later.actions.filter((a) => a.kind === 'delete' && ours(a));
  const reload = removals.some((a) => a.type === 'route') ? later.actions.filter((a) => a.type === 'proxy-config') : [];
  // The ACL users of the removed environments leave the Redis instances that stay: an ACL update
  // the fleet as it stands would not make (so it is due to this removal), on an instance kept.
  const deleted = new Set(removals.filter((a) => a.type === 'container').map((a) => a.id));
  const aclsNow = new Set(now.actions.filter((a) => a.type === 'redis-acl').map((a) => a.id));
  const acls = later.actions.filter((a) => a.type === 'redis-acl' && a.kind === 'update' && !deleted.has(a.id) && !aclsNow.has(a.id));
  const actions = later.actions.filter((a) => removals.includes(a) || reload.includes(a) || acls.includes(a));
  const kept = later.kept.filter(ours);
  const envs = [...new Set([...envsIn(observed), ...run.state.networks.map((n) => n.env)])].filter((e) => target.all || gone.has(e)).sort();
  return { server, envs, plan: { project, actions, summary: summarize(actions), deploy: [], kept } };
}

const idOf = (x: Action | Kept): string => `${x.type}\u0000${x.id}\u0000${'target' in x ? (x.target ?? '') : ''}`;

/** The environment an action or kept item belongs to, read from what was observed. */
function envOf(x: Action | Kept, o: ObservedServer): string | undefined {
  switch (x.type) {
    case 'container':
      return o.containers.find((c) => c.name === (x as Action).target)?.labels[LABELS.env];
    case 'network':
      return o.networks.find((n) => n.name === x.id)?.labels[LABELS.env];
    case 'volume':
      return o.volumes.find((v) => v.name === x.id)?.labels[LABELS.env];
    case 'route':
      return o.routes?.find((r) => r.host === x.id)?.env;
    case 'redis-db':
      return o.redisDbs?.find((r) => redisDbId(r) === x.id)?.env;
    default:
      // A database record names no environment: it goes when only the removed environments used it.
      return undefined;
  }
}

/** Environments with a network, a container or a Redis DB on this server. */
function envsIn(o: ObservedServer): string[] {
  const envs = [...o.networks.map((n) => n.labels[LABELS.env]), ...o.containers.map((c) => c.labels[LABELS.env]), ...(o.redisDbs ?? []).map((r) => r.env)];
  return [...new Set(envs.filter((e): e is string => e !== undefined))];
}
