// `up`: observe → diff → apply on one server. It converges the infrastructure (networks, volumes,
// shared services with their databases and Redis DB allocations, the proxy, its routes) and
// removes what the fleet no longer has (environments, apps, processes, routes); data (volumes,
// databases, Redis DBs) goes only with --destroy-data. App containers are left to `deploy`. It
// applies exactly the plan that `plan` prints for the server, computed under the locks of every
// environment it touches. Idempotent: a second run has nothing to do.
import { createHash } from 'node:crypto';
import type { Action, Plan } from '../plan/diff/plan.ts';
import { summarize } from '../plan/diff/diff.ts';
import { applyPlan, type AppliedAction } from './apply.ts';
import { withEnvLocks } from './env-lock-run.ts';
import { observeListed, observedEnvs } from './observe.ts';
import { planServer } from './plan-fleet.ts';
import type { ServerRun } from './server-run.ts';
import { ensureCertificates } from './tls/ensure-certificates.ts';
import { UserError } from '../diag/errors.ts';

export interface UpOptions {
  /** Also carry out deletions (the `up` command). Without it, deletions wait for `up` (deploy's infrastructure step). */
  prune?: boolean;
  /** Delete volumes, databases and Redis DBs no longer in the fleet (`--destroy-data`). */
  destroyData?: boolean;
  /**
   * A certificate that cannot be obtained (each is warned about as it fails): `fail` (the `up`
   * command, once everything else is applied) or `warn` (default: deploy's infrastructure step,
   * whose release must not wait on a CA; the host is served on HTTP meanwhile).
   */
  certificates?: 'fail' | 'warn';
}

export interface UpResult {
  server: string;
  /** The plan applied on this server: what `plan --json` shows for it. */
  plan: Plan;
  /** Its actions, in order, each with what it did. */
  applied: AppliedAction[];
}

/**
 * `up` as a command: holds the lock of every environment on the server, those the fleet has and
 * those only found there (so no deploy or rollback runs underneath it), then plans and applies.
 */
export async function upServerLocked(run: ServerRun, opts: { lockWaitS: number; destroyData?: boolean }): Promise<UpResult> {
  const envs = [...run.state.networks.map((n) => n.env), ...(await observedEnvs(run.conn.engine, run.fleet.project))];
  const command = `up${opts.destroyData ? ' --destroy-data' : ''}`;
  return withEnvLocks(run, envs, { command, action: 'up', lockWaitS: opts.lockWaitS }, async (locked) => {
    const result = await upServer(run, { prune: true, destroyData: opts.destroyData ?? false, certificates: 'fail' });
    locked.note({ detail: summaryDetail(result.plan) });
    return result;
  });
}

/** Observes this server, diffs it and applies the plan (without deletions unless `prune`). */
export async function upServer(run: ServerRun, opts: UpOptions = {}): Promise<UpResult> {
  await run.report.step('state volume', () => run.store.ensure());
  const { plan, observed } = await planServer(run, { destroyData: opts.destroyData ?? false });
  const todo = opts.prune ? plan : withoutDeletions(plan);
  const applied = await applyPlan(run, todo, observed);
  await run.store.writeJson(INFRA_APPLIED, { digest: infraDigest(run) });
  try {
    await ensureCertificates(run);
  } catch (e) {
    if (opts.certificates === 'fail' || !(e instanceof UserError)) throw e;
  }
  return { server: run.conn.server.name, plan: todo, applied };
}

/**
 * The plan without its deletions of containers, networks and data, which only `up` and `down`
 * carry out (they hold every lock they touch; a deploy holds one). Route deletions stay: the proxy
 * config is rendered whole, so any reload leaves removed routes out.
 */
export function withoutDeletions(plan: Plan): Plan {
  const keep = (a: Action) => a.kind !== 'delete' || a.type === 'route';
  const actions = plan.actions.filter(keep);
  return { ...plan, actions, summary: summarize(actions) };
}

function summaryDetail(plan: Plan): string {
  const s = plan.summary;
  return `${s.create} created, ${s.update} updated, ${s.replace} replaced, ${s.delete} deleted; ${plan.kept.length} kept`;
}

const INFRA_APPLIED = 'infra/applied.json';

/** Everything `up` converges on this server, as one digest (secrets by name only). */
export function infraDigest(run: ServerRun): string {
  const s = run.state;
  const infra = {
    networks: s.networks.map((n) => n.name),
    volumes: s.volumes.map((v) => v.name),
    containers: s.containers.filter((c) => c.role !== 'app').map((c) => `${c.name}@${c.specHash}`),
    routes: s.routes,
    databases: s.databases,
    redisDbs: s.redisDbs,
    // A changed ACL user (a new prefix, a new environment) makes a deploy apply its infrastructure first.
    redisUsers: s.redisUsers ?? [],
  };
  return createHash('sha256').update(JSON.stringify(infra)).digest('hex');
}

/** Makes the next deploy on this server plan its infrastructure again (after `down`). */
export async function forgetInfra(run: ServerRun): Promise<void> {
  await run.store.writeJson(INFRA_APPLIED, {});
}

/**
 * Is the infrastructure already what the fleet wants? True when the last `up` applied this exact
 * digest and every service and the proxy still run with their spec, on their networks: one state
 * read and one container list (observe's cheap listing), so a deploy does not plan on its
 * critical path.
 */
export async function infraCurrent(run: ServerRun): Promise<boolean> {
  const applied = await run.store.readJson<{ digest?: string }>(INFRA_APPLIED);
  if (applied?.digest !== infraDigest(run)) return false;
  const running = await observeListed(run.conn.engine, run.fleet.project, { all: false });
  return run.state.containers
    .filter((c) => c.role === 'service' || c.role === 'proxy')
    .every((c) => running.some((r) => r.key === c.key && r.specHash === c.specHash && c.networks.every((n) => r.networks?.includes(n.network))));
}
