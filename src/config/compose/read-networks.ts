// Networks and names: a service's `networks` (list or map, with aliases as extra host names) and
// `links`, and the top-level `volumes:` and `networks:` maps with the settings Slipway honours
// (`external: true` and its `name:`, a network's `internal: true`).
import { get, isMap, isScalar, isSeq, type Node, text } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { strList } from './read-scalars.ts';
import type { ComposeNamedSettings, ComposeService } from './types.ts';

export function readServiceNetworks(rc: ReadContext, n: Node | null, path: string, svc: ComposeService): void {
  const node = rc.deref(n);
  if (isSeq(node)) {
    svc.networks = strList(rc, node, path);
    return;
  }
  if (!isMap(node)) {
    rc.badType(n, path, 'a list of network names, or a map of network → settings');
    return;
  }
  for (const e of rc.entries(node, path)) {
    svc.networks.push(e.key);
    const v = rc.deref(e.value);
    if (!isMap(v)) continue;
    for (const s of rc.entries(v, `${path}/${e.key}`)) {
      if (s.key === 'aliases') svc.hostAliases.push(...strList(rc, rc.deref(s.value), `${path}/${e.key}/aliases`));
    }
  }
}

/** `links: [db, "db:database"]`: the services linked to, and the extra name each one gets. */
export function readLinks(rc: ReadContext, n: Node | null, path: string): { service: string; alias?: string }[] {
  const out: { service: string; alias?: string }[] = [];
  for (const l of strList(rc, rc.deref(n), path)) {
    const [service, alias] = l.split(':', 2) as [string, string | undefined];
    if (service === '' || alias === '') {
      rc.badType(n, path, 'links as SERVICE or SERVICE:ALIAS');
      continue;
    }
    out.push(alias === undefined || alias === service ? { service } : { service, alias });
  }
  return out;
}

/**
 * Names of a top-level `volumes:`/`networks:` map. The settings Slipway honours go to `settings`
 * (external objects keep their own name; a network's `internal: true`); a `name:` on anything
 * else is replaced by the per-environment name, which is said.
 */
export function namedMap(rc: ReadContext, n: Node | null, path: 'volumes' | 'networks', settings?: Record<string, ComposeNamedSettings>): string[] {
  const node = rc.deref(n);
  if (node === null || (isScalar(node) && node.value === null)) return [];
  if (!isMap(node)) {
    rc.badType(n, path, 'a map of name → settings');
    return [];
  }
  const out: string[] = [];
  for (const e of rc.entries(node, path)) {
    out.push(e.key);
    const v = rc.deref(e.value);
    if (!isMap(v)) continue;
    const s: ComposeNamedSettings = {};
    const ext = get(v, 'external');
    const name = text(get(v, 'name'));
    if (truthy(ext)) {
      // `external: { name: x }` is the older form of `external: true` with `name: x`.
      s.external = (isMap(ext) ? text(get(ext, 'name')) : undefined) ?? name ?? e.key;
      s.pos = rc.pos(e.keyNode);
      // What becomes of an external network depends on who joins it (service-names.ts says).
      if (path === 'volumes')
        rc.add(
          'info',
          'external-volume',
          `${path}/${e.key}`,
          `external volume "${e.key}" is mounted by its own name ${s.external} in every environment: Slipway never creates or deletes it, and environments that mount it share its data`,
          `it must exist on each server (docker volume create ${s.external}); drop "external" to get one volume per environment`,
          s.pos,
        );
    } else if (name !== undefined && name !== e.key) {
      rc.add(
        'info',
        'name-replaced',
        `${path}/${e.key}/name`,
        `${path === 'networks' ? 'network' : 'volume'} "${e.key}" is named ${name} in compose; Slipway names it per environment instead`,
        'environments must not share it; mark it external: true to use an existing one by that name',
        rc.pos(get(v, 'name')),
      );
    }
    if (path === 'networks' && truthy(get(v, 'internal'))) s.internal = true;
    if (settings && (s.external !== undefined || s.internal)) settings[e.key] = s;
  }
  return out;
}

function truthy(n: Node | undefined): boolean {
  if (n === undefined) return false;
  return isScalar(n) ? n.value !== null && n.value !== false && n.value !== '' && n.value !== 'false' : true;
}
