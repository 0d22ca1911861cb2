// A service's `x-slipway:` extension: Slipway's own settings inside a compose file, which compose
// itself ignores. `web: true|false` overrides which service the app's domains route to;
// `domains:` gives the service its own domains (one, a list, or a map environment → domain(s)).
import { isMap, isScalar, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { bool, str, strList } from './read-scalars.ts';
import type { ComposeSlipwayExtension } from './types.ts';

const DOMAINS_HINT = 'write domains: app.example.com, a list, or a map environment → domain(s) with an optional "default"';

export function readSlipwayExtension(rc: ReadContext, n: Node | null, path: string): ComposeSlipwayExtension | undefined {
  if (!isMap(n)) {
    rc.badType(n, path, 'a map with web: true|false and/or domains:');
    return undefined;
  }
  const out: ComposeSlipwayExtension = {};
  for (const e of rc.entries(n, path)) {
    const p = `${path}/${e.key}`;
    if (e.key === 'web') {
      const b = bool(rc, e.value, p);
      if (b !== undefined) out.web = b;
    } else if (e.key === 'domains') {
      const d = domains(rc, e.value, p);
      if (d !== undefined) out.domains = d;
    } else rc.add('error', 'unknown-key', p, `x-slipway has no key "${e.key}"`, 'x-slipway accepts web: true|false and domains:', rc.pos(e.keyNode));
  }
  return out;
}

function domains(rc: ReadContext, n: Node, path: string): ComposeSlipwayExtension['domains'] {
  if (isScalar(n)) return str(rc, n, path);
  if (isSeq(n)) return strList(rc, n, path);
  if (isMap(n)) {
    const out: Record<string, string | string[]> = {};
    for (const e of rc.entries(n, path)) {
      const v = isSeq(e.value) ? strList(rc, e.value, `${path}/${e.key}`) : str(rc, e.value, `${path}/${e.key}`);
      if (v !== undefined) out[e.key] = v;
    }
    return out;
  }
  rc.add('error', 'bad-type', path, 'expected a domain, a list of domains, or a map environment → domain(s)', DOMAINS_HINT, rc.pos(n));
  return undefined;
}
