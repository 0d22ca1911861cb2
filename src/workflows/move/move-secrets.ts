// The environment's secrets kept on the source server (`secret set … --store server`, basic-auth
// passwords) that the target lacks, copied to the target's state scoped to the environment, so its
// apps and proxy get the same values. Secrets Slipway generates (`slipway/…`: database passwords
// and URLs, Redis users) are the target's own and never copied; the repository's encrypted
// secrets files need nothing.
import { authSecretRefs } from '../proxy-config.ts';
import type { ServerRun } from '../server-run.ts';

/** Names the environment's apps and routes read from the servers' state. */
function secretNames(run: ServerRun, env: string): string[] {
  const names = new Set<string>();
  for (const a of run.fleet.apps) {
    const pe = a.perEnv[env];
    if (!pe) continue;
    for (const v of Object.values(pe.env_vars)) if (v.kind === 'secret') names.add(v.name);
    for (const p of pe.processes) for (const v of Object.values(p.env)) if (v.kind === 'secret') names.add(v.name);
  }
  for (const r of authSecretRefs(run.state)) if (r.env === env) names.add(r.secret);
  return [...names].filter((n) => !n.startsWith('slipway/')).sort();
}

/** Copies what the target lacks; returns the names copied (never the values). */
export async function copySecrets(src: ServerRun, dst: ServerRun, env: string): Promise<string[]> {
  const copied: string[] = [];
  for (const name of secretNames(src, env)) {
    const value = await src.store.getSecret(name, env);
    if (!value || (await dst.store.getSecret(name, env))) continue;
    await dst.store.setSecret(name, value, env);
    copied.push(name);
  }
  await dst.store.flush();
  return copied;
}
