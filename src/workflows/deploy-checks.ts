// What a deploy must know before traffic moves, read all at once as soon as the lock is ours, so the
// reads overlap with the image and container work instead of preceding it: the app's containers
// (one listing), the release history, whether the infrastructure is current, a free release id, and
// from these the verdict: nothing to recover and the id is free (go on), or a reason to take the
// careful path (bring the infrastructure up, recover, choose again).
import type { ContainerSummary } from '../engine/docker-engine.ts';
import { LABELS } from '../model/labels.ts';
import { desiredOf, releaseImage, releaseOf } from './app-containers.ts';
import { listOwned } from './observe.ts';
import { isSettled, planReconcile } from './reconcile.ts';
import { readHistory, type ReleaseHistory } from './releases.ts';
import { edgeNetworks } from './rollout.ts';
import type { ServerRun } from './server-run.ts';
import { infraCurrent } from './up.ts';

export interface Listed {
  containers: ContainerSummary[];
  tasks: ContainerSummary[];
}

export interface DeployChecks {
  /** The app's containers and leftover release tasks in the environment (one listing). */
  listed: Promise<Listed>;
  history: Promise<ReleaseHistory>;
  infraCurrent: Promise<boolean>;
  /** Why `release` cannot go ahead as things are (the careful path is needed), or undefined. */
  verdict(release: string): Promise<string | undefined>;
}

/** Starts every read at once; call it only while holding the environment's lock. */
export function startChecks(run: ServerRun, app: string, env: string): DeployChecks {
  const listed = listOwned(run.conn.engine, run.fleet.project, { [LABELS.app]: app, [LABELS.env]: env }, { all: true }).then((cs) => ({
    containers: cs.filter((c) => c.labels[LABELS.role] === 'app'),
    tasks: cs.filter((c) => c.labels[LABELS.role] === 'release-task'),
  }));
  const history = readHistory(run.store, app, env);
  const current = infraCurrent(run);
  // Whoever awaits them sees their failures; these only keep an unawaited one from being unhandled.
  for (const p of [listed, history, current]) p.catch(() => undefined);
  return {
    listed,
    history,
    infraCurrent: current,
    async verdict(release) {
      const [l, h, infra] = await Promise.all([listed, history, current]);
      if (!infra) return 'the infrastructure changed since the last `up`';
      if (h.releases.some((r) => r.release === release)) return `release id ${release} is already in the history`;
      if (!isSettled(planReconcile(h, l.containers, l.tasks, desiredOf(run, app, env), edgeNetworks(run)))) return 'an interrupted run needs recovery';
      return undefined;
    },
  };
}

/** `YYYYMMDDHHMMSS` (UTC), with `-N` when that id is taken. */
export function releaseId(now: number, taken: ReadonlySet<string>): string {
  const base = new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return id;
}

/**
 * A release id from the clock that no container, release task or release image on the server
 * carries yet (`taken` adds ids known otherwise, e.g. from the history). The image check runs
 * alongside the listing; the history is checked by the verdict before traffic moves.
 */
export async function freeReleaseId(
  run: ServerRun,
  app: string,
  env: string,
  listed: Promise<Listed>,
  taken: ReadonlySet<string> = new Set(),
): Promise<string> {
  const seen = new Set(taken);
  const imageTaken = async (id: string) => (await run.conn.engine.imageInspect(releaseImage(run.fleet.project, app, env, id))) !== null;
  let id = releaseId(run.now(), seen);
  const [l, image] = await Promise.all([listed, imageTaken(id)]);
  for (const c of [...l.containers, ...l.tasks]) seen.add(releaseOf(c));
  if (!image && !seen.has(id)) return id;
  seen.add(id);
  for (;;) {
    id = releaseId(run.now(), seen);
    if (!(await imageTaken(id))) return id;
    seen.add(id);
  }
}
