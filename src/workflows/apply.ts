// apply: executes a Plan on one server, action by action, in the plan's order, each as one
// progress step. Nothing is decided here that the plan does not say: every action of this server
// is carried out (deletions and, when the plan has them, destructive ones included), and nothing
// else. The per-type work lives in apply-storage.ts, apply-containers.ts, apply-data.ts and
// apply-proxy.ts, which call the long-standing helpers (services, postgres-setup, proxy).
import type { ObservedServer } from '../plan/diff/observed.ts';
import type { Action, Plan } from '../plan/diff/plan.ts';
import type { ApplyContext } from './apply-context.ts';
import { applyContainer } from './apply-containers.ts';
import { applyDatabase, applyRedisAcl, applyRedisDb, saveRedis } from './apply-data.ts';
import { applyProxyConfig, applyRoute } from './apply-proxy.ts';
import { applyNetwork, applyVolume } from './apply-storage.ts';
import type { ServerRun } from './server-run.ts';

/** An action as carried out: what it did (`created`, `deleted`, `already gone`, …). */
export interface AppliedAction extends Action {
  outcome: string;
}

/** The progress label of an action: `+ network acme-prod`, `- container web/dev/web/0 (acme-web-dev-web-0-r1)`. */
export function actionLabel(a: Action): string {
  const symbol = { create: '+', update: '~', replace: '±', delete: '-', 'run-once': '>' }[a.kind];
  return `${symbol} ${a.kind} ${a.type} ${a.id}${a.target ? ` (${a.target})` : ''}`;
}

/**
 * Carries out `plan`'s actions for this server, in order. Stops at the first failure (what was
 * done stays done; running the plan again continues from there, since it is recomputed from what
 * then runs). Returns every action with its outcome.
 */
export async function applyPlan(run: ServerRun, plan: Plan, observed: ObservedServer): Promise<AppliedAction[]> {
  const server = run.conn.server.name;
  const actions = plan.actions.filter((a) => a.server === server);
  const ctx: ApplyContext = { run, actions, observed, converged: new Set(), redis: [...(observed.redisDbs ?? [])] };
  const applied: AppliedAction[] = [];
  for (const [i, a] of actions.entries()) {
    const outcome = await run.report.step(actionLabel(a), () => applyAction(ctx, a));
    applied.push({ ...a, outcome });
    // Redis allocations are one file: written once after each run of redis-db actions.
    if (a.type === 'redis-db' && actions[i + 1]?.type !== 'redis-db') await saveRedis(ctx);
  }
  return applied;
}

function applyAction(ctx: ApplyContext, a: Action): Promise<string> {
  switch (a.type) {
    case 'network':
      return applyNetwork(ctx, a);
    case 'volume':
      return applyVolume(ctx, a);
    case 'container':
      return applyContainer(ctx, a);
    case 'database':
      return applyDatabase(ctx, a);
    case 'redis-db':
      return applyRedisDb(ctx, a);
    case 'redis-acl':
      return applyRedisAcl(ctx, a);
    case 'route':
      return applyRoute(ctx, a);
    case 'proxy-config':
      return applyProxyConfig(ctx, a);
  }
}
