// Who a secrets file is encrypted to, from the fleet file: an environment's file to the fleet-wide
// recipients, the environment's own and those of every server it runs on; the file every
// environment reads (`_all.age`) to all of them, and only when every environment has at least one
// (else some environment's deploys could not read it). Pure.
import type { Fleet } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import type { SecretScope } from './secrets-doc.ts';

/** The servers an environment runs on: its own and its apps' placements (as workflows/env-servers.ts). */
function serversOf(fleet: Fleet, env: string): Set<string> {
  const s = new Set<string>();
  for (const e of fleet.environments) if (e.name === env) s.add(e.server);
  for (const a of fleet.apps) if (a.perEnv[env]) s.add(a.perEnv[env]!.server);
  return s;
}

/** The recipients of `env`'s file: fleet-wide, the environment's own, and those of its servers. */
export function envRecipients(fleet: Fleet, env: string): string[] {
  const servers = serversOf(fleet, env);
  const e = fleet.environments.find((x) => x.name === env);
  return unique([
    ...(fleet.secrets?.recipients ?? []),
    ...(e?.secretsRecipients ?? []),
    ...fleet.servers.filter((s) => servers.has(s.name)).flatMap((s) => s.secretsRecipients ?? []),
  ]);
}

/** The recipients of a scope's file; throws a UserError saying what to declare when there are none. */
export function scopeRecipients(fleet: Fleet, scope: SecretScope, where: string): string[] {
  if (scope !== null) {
    const r = envRecipients(fleet, scope);
    if (r.length === 0)
      throw new UserError(
        `${where}: environment ${scope} has no secrets recipients to encrypt to`,
        `add age public keys (age1…) under environments.${scope}.secrets.recipients, the server's secrets.recipients or the top-level secrets.recipients in ${fleet.file}; or keep it on the servers with --store server`,
      );
    return r;
  }
  const without = fleet.environments.filter((e) => envRecipients(fleet, e.name).length === 0).map((e) => e.name);
  if (without.length)
    throw new UserError(
      `${where}: environment${without.length > 1 ? 's' : ''} ${without.join(', ')} ${without.length > 1 ? 'have' : 'has'} no secrets recipients, so ${without.length > 1 ? 'their' : 'its'} deploys could not read a secret meant for every environment`,
      `declare the top-level secrets.recipients in ${fleet.file}, or set the secret per environment with --env ENV`,
    );
  return unique(fleet.environments.flatMap((e) => envRecipients(fleet, e.name)));
}

/** True when the fleet file declares any recipient: then the encrypted file is the default store. */
export function usesSecretsFiles(fleet: Fleet): boolean {
  return (
    (fleet.secrets?.recipients.length ?? 0) > 0 ||
    fleet.environments.some((e) => (e.secretsRecipients?.length ?? 0) > 0) ||
    fleet.servers.some((s) => (s.secretsRecipients?.length ?? 0) > 0)
  );
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
