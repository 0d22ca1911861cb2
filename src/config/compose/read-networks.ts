// Networks: a service's `networks` (list or map, with aliases as extra host names) and the names
// declared under the top-level `volumes:` and `networks:` maps.
import { get, isMap, isScalar, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { strList } from './read-scalars.ts';
import type { ComposeService } from './types.ts';

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

/** Names of a top-level `volumes:`/`networks:` map (values are settings we do not need). */
export function namedMap(rc: ReadContext, n: Node | null, path: string): string[] {
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
    if (path === 'networks' && isMap(v) && truthy(get(v, 'external')))
      rc.add(
        'info',
        'external-network',
        `${path}/${e.key}`,
        `external network "${e.key}" is not joined: Slipway's proxy and per-environment networks replace it`,
        'routing labels (e.g. traefik) are replaced by the domains in slipway.yaml',
        rc.pos(e.keyNode),
      );
  }
  return out;
}

function truthy(n: Node | undefined): boolean {
  return isScalar(n) ? n.value !== null && n.value !== false && n.value !== '' && n.value !== 'false' : n !== undefined;
}
