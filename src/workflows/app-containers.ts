// The containers of one app in one environment: as desired, and as they exist on the engine (read
// through observe's listing), with their release ids and images.
import type { ContainerSummary } from '../engine/docker-engine.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';
import { listOwned } from './observe.ts';

export function desiredOf(run: ServerRun, app: string, env: string): ContainerSpec[] {
  return run.state.containers.filter((c) => c.role === 'app' && c.app === app && c.env === env);
}

/** Every container (running or not, any release) of one app in one env, of the given role. */
export async function existingOf(run: ServerRun, app: string, env: string, role: 'app' | 'release-task' = 'app'): Promise<ContainerSummary[]> {
  return listOwned(run.conn.engine, run.fleet.project, { [LABELS.app]: app, [LABELS.env]: env, [LABELS.role]: role }, { all: true });
}

export const releaseOf = (c: ContainerSummary): string => c.labels[LABELS.release] ?? '';

/** Release image tags carry the environment: release ids are timestamps, unique per app and env only. */
export const releaseTagOf = (env: string, release: string): string => `${env}-${release}`;
export const releaseImage = (project: string, app: string, env: string, release: string): string => `${project}/${app}:${releaseTagOf(env, release)}`;

/**
 * Final image of a desired container for a release. Every release is tagged
 * `{project}/{app}:{env}-{release}` on the server (built from git, or the app's image retagged), so
 * rollback never depends on a moving tag; processes that name their own image keep it.
 */
export function imageFor(spec: ContainerSpec, project: string, release: string, appImage?: string): string {
  if (spec.image.startsWith(`${project}/`) && spec.image.endsWith(':current'))
    return `${spec.image.slice(0, -':current'.length)}:${releaseTagOf(spec.env!, release)}`;
  if (appImage !== undefined && spec.image === appImage) return releaseImage(project, spec.app!, spec.env!, release);
  return spec.image;
}
