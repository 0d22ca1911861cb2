// Applying network and volume actions. A network is created with its desired labels (and
// `internal` when desired: a compose `internal: true` network); one being
// deleted is first left by every container of the project still attached to it (the proxy and
// shared services join several environments' networks), then removed. A volume is created with
// its desired labels, or removed (only a plan made with --destroy-data has that action). Anything
// else still using them is not ours: the removal fails and says what to look at.
import { UserError } from '../diag/errors.ts';
import { EngineError, isNotFound } from '../engine/engine-errors.ts';
import type { Action } from '../plan/diff/plan.ts';
import { type ApplyContext, unlessGone, unsupported } from './apply-context.ts';
import { listOwned } from './observe.ts';

export async function applyNetwork(ctx: ApplyContext, a: Action): Promise<string> {
  const { run } = ctx;
  const { engine } = run.conn;
  if (a.kind === 'create') {
    const spec = run.state.networks.find((n) => n.name === a.id);
    if (!spec) return unsupported(a);
    await engine.createNetwork({ name: spec.name, labels: spec.labels, ...(spec.internal ? { internal: true } : {}) });
    return 'created';
  }
  if (a.kind !== 'delete') return unsupported(a);
  const attached = (await listOwned(engine, run.fleet.project, {}, { all: true })).filter((c) => c.networks.includes(a.id));
  for (const c of attached) {
    await engine.disconnectNetwork(a.id, c.id, { force: true }).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  }
  return unlessGone(async () => {
    try {
      await engine.removeNetwork(a.id);
    } catch (e) {
      if (isNotFound(e)) throw e;
      throw new UserError(
        `${run.conn.server.name}: cannot remove network ${a.id}: ${detailOf(e)}`,
        `a container that is not Slipway's still uses it: see docker network inspect ${a.id}`,
      );
    }
    return attached.length ? `deleted (after ${attached.map((c) => c.name).join(', ')} left it)` : 'deleted';
  });
}

export async function applyVolume(ctx: ApplyContext, a: Action): Promise<string> {
  const { run } = ctx;
  const { engine } = run.conn;
  if (a.kind === 'create') {
    const spec = run.state.volumes.find((v) => v.name === a.id);
    if (!spec) return unsupported(a);
    await engine.createVolume({ name: spec.name, labels: spec.labels });
    return 'created';
  }
  if (a.kind !== 'delete') return unsupported(a);
  return unlessGone(async () => {
    try {
      await engine.removeVolume(a.id);
    } catch (e) {
      if (isNotFound(e)) throw e;
      throw new UserError(
        `${run.conn.server.name}: cannot remove volume ${a.id}: ${detailOf(e)}`,
        `a container that is not Slipway's still uses it: docker ps -a --filter volume=${a.id}`,
      );
    }
    return 'deleted with its data';
  });
}

const detailOf = (e: unknown): string => (e instanceof EngineError ? e.detail : (e as Error).message);
