// Applying container actions. Services are created, recreated (stop-first: one data directory)
// or started by `ensureService`, and join the networks the plan names; a new Postgres instance gets
// its databases at once. The proxy is created with its config, recreated or reconnected by
// `ensureProxy`. A container no longer in the fleet is stopped gracefully, then removed. App
// containers are never created here: a new one is a release, made by `deploy`.
import { UserError } from '../diag/errors.ts';
import { LABELS } from '../model/labels.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import type { Action } from '../plan/diff/plan.ts';
import { type ApplyContext, unlessGone, unsupported } from './apply-context.ts';
import { setupDatabases } from './postgres-setup.ts';
import { ensureProxy, proxyInputs } from './proxy.ts';
import { ensureService } from './services.ts';

/** Seconds a container no longer in the fleet gets to stop: a database shuts down cleanly. */
const STOP_TIMEOUT_S: Record<string, number> = { service: 60, proxy: 10, app: 10, 'release-task': 10 };

export async function applyContainer(ctx: ApplyContext, a: Action): Promise<string> {
  if (a.kind === 'delete') return deleteContainer(ctx, a);
  const spec = ctx.run.state.containers.find((c) => c.key === a.id);
  if (!spec) return unsupported(a);
  if (a.changes?.state?.[0] === 'paused') {
    throw new UserError(`${ctx.run.conn.server.name}: container ${a.target} is paused`, `unpause it (docker unpause ${a.target}), then run slipway up again`);
  }
  if (spec.role === 'service') return applyService(ctx, a, spec);
  if (spec.role === 'proxy') return applyProxy(ctx, a);
  throw new UserError(
    `${ctx.run.conn.server.name}: app container ${a.id} is made by a deploy, not by up`,
    `slipway deploy ${spec.app ?? 'APP'} ${spec.env ?? 'ENV'}`,
  );
}

async function applyService(ctx: ApplyContext, a: Action, spec: ContainerSpec): Promise<string> {
  const { run } = ctx;
  // A service under another name than its spec's (renamed by hand): one data directory, so it goes first.
  if (a.kind === 'replace' && a.target && a.target !== spec.name) await removeNamed(ctx, a.target, STOP_TIMEOUT_S.service!);
  const outcome = await ensureService(run, spec);
  const joined = await joinNetworks(ctx, a, spec);
  if (a.kind === 'create' && run.state.databases.some((d) => d.instance === spec.key)) {
    // A new instance has no database yet: the plan's database actions for it are then done.
    await setupDatabases(run, spec);
    ctx.converged.add(spec.key);
  }
  if (joined.length === 0) return outcome;
  return outcome === 'unchanged' ? `joined ${joined.join(', ')}` : `${outcome}; joined ${joined.join(', ')}`;
}

async function applyProxy(ctx: ApplyContext, a: Action): Promise<string> {
  ctx.proxyInputs ??= await proxyInputs(ctx.run);
  // Creates it with its config, recreates it on a new spec, joins missing edge networks, starts it.
  await ensureProxy(ctx.run, ctx.proxyInputs);
  if (a.kind === 'create') return 'created with its config';
  if (a.kind === 'replace') return 'recreated with its config';
  return a.reason;
}

/** Connects the container to the networks an update says it lacks, with its aliases there. */
async function joinNetworks(ctx: ApplyContext, a: Action, spec: ContainerSpec): Promise<string[]> {
  const change = a.changes?.networks;
  if (a.kind !== 'update' || !change) return [];
  const { engine } = ctx.run.conn;
  const have = new Set((await engine.inspectContainer(spec.name)).networks.map((n) => n.name));
  const joined: string[] = [];
  for (const n of spec.networks) {
    if (have.has(n.network)) continue;
    await engine.connectNetwork(n.network, spec.name, n.aliases);
    joined.push(n.network);
  }
  return joined;
}

async function deleteContainer(ctx: ApplyContext, a: Action): Promise<string> {
  const timeout = STOP_TIMEOUT_S[ctx.observed.containers.find((c) => c.name === a.target)?.role ?? 'app'] ?? 10;
  return unlessGone(() => removeNamed(ctx, a.target ?? a.id, timeout));
}

/** Stops (gracefully) and removes one container of this project; refuses anything else. */
async function removeNamed(ctx: ApplyContext, name: string, timeoutS: number): Promise<string> {
  const { engine } = ctx.run.conn;
  const info = await engine.inspectContainer(name);
  if (info.labels[LABELS.project] !== ctx.run.fleet.project) {
    throw new UserError(`${ctx.run.conn.server.name}: container ${name} is not part of project ${ctx.run.fleet.project}: left alone`);
  }
  const wasRunning = info.state === 'running' || info.state === 'restarting' || info.state === 'paused';
  if (wasRunning) await engine.stopContainer(info.id, timeoutS);
  await engine.removeContainer(info.id, { force: true });
  return wasRunning ? 'stopped and deleted' : 'deleted';
}
