// Resolves a container's env vars for the engine: plain values as they are, secret references
// from the server's state, still wrapped (the engine adapter unwraps them). Missing secrets, and
// secrets too short to keep out of output, are reported all at once with how to set them.
import type { EnvValue } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { requireRedactable, type Secret } from '../util/secret.ts';
import type { StateStore } from './state-store.ts';

export interface ResolvedEnv {
  env: Record<string, string | Secret>;
  /** The secrets among the values, so callers can redact them from container output they show. */
  secrets: Secret[];
}

export async function resolveEnv(vars: Record<string, EnvValue>, store: StateStore, where: string, envName?: string): Promise<ResolvedEnv> {
  const env: Record<string, string | Secret> = {};
  const secrets: Secret[] = [];
  const missing: string[] = [];
  for (const [k, v] of Object.entries(vars)) {
    if (v.kind === 'plain') env[k] = v.value;
    else {
      const s = await store.getSecret(v.name, envName);
      if (!s) missing.push(`${v.name} (for ${k})`);
      else {
        env[k] = s;
        secrets.push(s);
      }
    }
  }
  const setWith = `slipway secret set NAME${envName ? ` --env ${envName}` : ''} (the value is read from stdin)`;
  if (missing.length) {
    throw new UserError(
      `${where}: ${missing.length} secret(s) not set on the server: ${missing.join(', ')}`,
      `set each with: ${setWith}; generated ones (pg/…) come from "slipway up"`,
    );
  }
  requireRedactable(secrets, { where, envName });
  return { env, secrets };
}
