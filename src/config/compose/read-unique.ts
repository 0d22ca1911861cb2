// After a merge, lists whose entries have an identity keep one entry per identity, the last one
// written, at the place of the first (compose spec "Unique resources"; compose-go
// override/uncity.go): volumes and devices by container path, ports by ip/published/target/
// protocol, environment, labels, sysctls… by key, env_file by path, secrets/configs by target.
import { type CMap, type CNode, get, isMap, isScalar, isSeq, text } from './compose-tree.ts';
import { parseShortPort } from './read-ports.ts';

type Indexer = (n: CNode) => string | undefined;

const keyValue: Indexer = (n) => {
  const s = text(n);
  return s === undefined ? undefined : s.split('=')[0];
};
const plain: Indexer = (n) => text(n);

const mountTarget: Indexer = (n) => {
  if (isMap(n)) return text(get(n, 'target'));
  const s = text(n);
  if (s === undefined) return undefined;
  const parts = s.split(':');
  return parts.length === 1 ? parts[0] : parts[1];
};

const port: Indexer = (n) => {
  if (isMap(n)) {
    const ip = text(get(n, 'host_ip')) ?? '0.0.0.0';
    return `${ip}:${text(get(n, 'published')) ?? ''}:${text(get(n, 'target')) ?? ''}/${text(get(n, 'protocol')) ?? 'tcp'}`;
  }
  const s = text(n);
  if (s === undefined) return undefined;
  const p = parseShortPort(s);
  if (!p || /-/.test(s.split(':').pop() ?? '')) return s;
  const pub = p.published ?? '';
  const colon = pub.lastIndexOf(':');
  const ip = colon >= 0 ? pub.slice(0, colon).replace(/^\[|\]$/g, '') : '0.0.0.0';
  return `${ip}:${colon >= 0 ? pub.slice(colon + 1) : pub}:${p.container}/${p.protocol}`;
};

const envFile: Indexer = (n) => (isMap(n) ? text(get(n, 'path')) : text(n));
const mount =
  (dir: string): Indexer =>
  (n) => {
    if (isMap(n)) return text(get(n, 'target')) ?? `${dir}/${text(get(n, 'source')) ?? ''}`;
    const s = text(n);
    return s === undefined ? undefined : `${dir}/${s}`;
  };

const UNIQUE: [pattern: string, index: Indexer][] = [
  ['services/*/annotations', keyValue],
  ['services/*/build/args', keyValue],
  ['services/*/build/additional_contexts', keyValue],
  ['services/*/build/tags', keyValue],
  ['services/*/build/labels', keyValue],
  ['services/*/cap_add', keyValue],
  ['services/*/cap_drop', keyValue],
  ['services/*/configs', mount('')],
  ['services/*/deploy/labels', keyValue],
  ['services/*/devices', mountTarget],
  ['services/*/dns', keyValue],
  ['services/*/dns_opt', keyValue],
  ['services/*/dns_search', keyValue],
  ['services/*/environment', keyValue],
  ['services/*/env_file', envFile],
  ['services/*/expose', plain],
  ['services/*/labels', keyValue],
  ['services/*/links', keyValue],
  ['services/*/networks/*/aliases', keyValue],
  ['services/*/ports', port],
  ['services/*/profiles', keyValue],
  ['services/*/secrets', mount('/run/secrets')],
  ['services/*/sysctls', keyValue],
  ['services/*/tmpfs', keyValue],
  ['services/*/volumes', mountTarget],
  ['networks/*/labels', keyValue],
];

function indexerAt(path: readonly string[]): Indexer | undefined {
  for (const [pattern, index] of UNIQUE) {
    const parts = pattern.split('/');
    if (parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i])) return index;
  }
  return undefined;
}

/** `root` with every identity-keyed list reduced to one entry per identity. */
export function enforceUnique(root: CMap): CMap {
  return walk(root, []) as CMap;
}

function walk(n: CNode, path: string[]): CNode {
  if (isMap(n)) {
    // Only services/, networks/ and their subtrees hold such lists.
    if (path.length === 0)
      return { ...n, entries: n.entries.map((e) => (e.key === 'services' || e.key === 'networks' ? { ...e, value: walk(e.value, [e.key]) } : e)) };
    return { ...n, entries: n.entries.map((e) => ({ ...e, value: walk(e.value, [...path, e.key]) })) };
  }
  if (!isSeq(n)) return n;
  const index = indexerAt(path);
  if (!index) return n;
  const items: CNode[] = [];
  const at = new Map<string, number>();
  for (const item of n.items) {
    const key = isScalar(item) || isMap(item) ? index(item) : undefined;
    const i = key === undefined ? undefined : at.get(key);
    if (i !== undefined) items[i] = item;
    else {
      if (key !== undefined) at.set(key, items.length);
      items.push(item);
    }
  }
  return items.length === n.items.length ? n : { ...n, items };
}
