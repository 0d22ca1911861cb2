// `profiles`: as in `docker compose up`, a service with profiles runs only when one of them is
// enabled (in slipway.yaml: `compose: { profiles: [debug] }`, per environment too; `*` enables
// all; else `COMPOSE_PROFILES` from the .env or env files, as compose reads it); services without
// profiles always run. Left-out services are noted, and a profile that no
// service has is reported, since it is most likely a typo.
import type { SourcePos } from '../../diag/diagnostic.ts';
import { didYouMean } from '../../util/did-you-mean.ts';
import { type CMap, get, isMap, isNull, isSeq, text, withEntry } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';

/** Where the enabled profiles come from, for messages. */
export type ProfilesFrom = 'slipway.yaml' | 'COMPOSE_PROFILES';

/**
 * The profiles to enable: those slipway.yaml names, else `COMPOSE_PROFILES` (comma-separated) from
 * the env files, as docker compose reads it from its `.env` (its `--profile` flags replace it).
 */
export function enabledProfiles(given: readonly string[] | undefined, vars: Readonly<Record<string, string>>): { profiles: string[]; from: ProfilesFrom } {
  if (given !== undefined && given.length > 0) return { profiles: [...given], from: 'slipway.yaml' };
  const fromVar = (vars.COMPOSE_PROFILES ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return { profiles: fromVar, from: fromVar.length > 0 ? 'COMPOSE_PROFILES' : 'slipway.yaml' };
}

/** `root` without the services whose profiles are not enabled; those are recorded in `rc.disabled`. */
export function applyProfiles(rc: ReadContext, root: CMap, enabled: readonly string[], origin?: SourcePos, from: ProfilesFrom = 'slipway.yaml'): CMap {
  const services = get(root, 'services');
  const all = new Set<string>();
  if (!isMap(services)) return root;
  const kept = services.entries.filter((e) => {
    const node = get(e.value, 'profiles');
    if (node === undefined || isNull(node)) return true;
    const path = `services/${e.key}/profiles`;
    if (!isSeq(node)) {
      rc.badType(node, path, 'a list of profile names');
      return true;
    }
    const profiles = node.items.map((i) => text(i)).filter((p): p is string => p !== undefined);
    for (const p of profiles) all.add(p);
    if (profiles.length === 0 || enabled.includes('*') || profiles.some((p) => enabled.includes(p))) return true;
    rc.disabled.set(e.key, profiles);
    rc.add(
      'info',
      'profile-disabled',
      path,
      `service "${e.key}" is in profile ${profiles.map((p) => `"${p}"`).join(', ')}, which ${from === 'COMPOSE_PROFILES' ? 'COMPOSE_PROFILES in the env file does' : 'slipway.yaml does'} not enable: it is not deployed`,
      `to deploy it, enable the profile: compose: { files: [...], profiles: [${profiles[0]}] } in slipway.yaml`,
      node.pos,
    );
    return false;
  });
  for (const p of enabled) {
    if (p === '*' || all.has(p)) continue;
    const guess = didYouMean(p, [...all]);
    rc.add(
      'warning',
      'unknown-profile',
      'compose/profiles',
      `profile "${p}" is enabled ${from === 'COMPOSE_PROFILES' ? 'by COMPOSE_PROFILES in the env file' : 'in slipway.yaml'}, but no service of the compose file has it`,
      guess ? `did you mean "${guess}"?` : all.size ? `profiles in the compose file: ${[...all].join(', ')}` : 'the compose file uses no profiles; remove it',
      origin ?? { file: rc.file, line: 1, col: 1 },
    );
  }
  return kept.length === services.entries.length ? root : withEntry(root, 'services', { ...services, entries: kept });
}
