// The env a container of a desired spec gets in a release: its variables with secrets resolved
// (still wrapped: the engine adapter unwraps them), plus SLIPWAY_APP/ENV/PROCESS/RELEASE.
import type { ContainerSpec } from '../plan/desire/desired.ts';
import type { Secret } from '../util/secret.ts';
import { resolveEnv } from './env-resolve.ts';
import { secretLookup } from './secrets-file-lookup.ts';
import type { ServerRun } from './server-run.ts';

export interface Resolved {
  /** Secrets stay wrapped: the engine adapter unwraps them. */
  env: Record<string, string | Secret>;
  /** To redact from container output that is shown. */
  secrets: Secret[];
}

export async function resolveSpecEnv(run: ServerRun, spec: ContainerSpec, release: string): Promise<Resolved> {
  const r = await resolveEnv(spec.env_vars, secretLookup(run), spec.name, spec.env);
  return {
    env: { ...r.env, SLIPWAY_APP: spec.app ?? '', SLIPWAY_ENV: spec.env ?? '', SLIPWAY_PROCESS: spec.process ?? '', SLIPWAY_RELEASE: release },
    secrets: r.secrets,
  };
}
