// Resolves a container's env vars for the engine: plain values as they are, secret references
// from the repository's encrypted files or the server's state (secrets-file-lookup.ts says which
// wins), still wrapped (the engine adapter unwraps them). Missing secrets, and secrets too short
// to keep out of output, are reported all at once with how to set them.
import type { EnvValue } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { requireRedactable, type Secret } from '../util/secret.ts';
import type { SecretLookup } from './secrets-file-lookup.ts';

export interface ResolvedEnv {
  env: Record<string, string | Secret>;
  /** The secrets among the values, so callers can redact them from container output they show. */
  secrets: Secret[];
}

/** `lookup` is secretLookup(run), or a bare state store (services: server values only). */
export async function resolveEnv(
  vars: Record<string, EnvValue>,
  lookup: Pick<SecretLookup, 'getSecret'> & Partial<Pick<SecretLookup, 'describe'>>,
  where: string,
  envName?: string,
): Promise<ResolvedEnv> {
  const env: Record<string, string | Secret> = {};
  const secrets: Secret[] = [];
  const missing: string[] = [];
  for (const [k, v] of Object.entries(vars)) {
    if (v.kind === 'plain') env[k] = v.value;
    else {
      const s = await lookup.getSecret(v.name, envName);
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
      `${where}: ${missing.length} secret(s) not set (looked in ${lookup.describe?.(envName) ?? 'the server'}): ${missing.join(', ')}`,
      `set each with: ${setWith}; generated ones (pg/…) come from "slipway up"`,
    );
  }
  requireRedactable(secrets, { where, envName });
  return { env, secrets };
}
