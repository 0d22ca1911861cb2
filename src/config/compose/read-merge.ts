// Merging compose trees the way docker compose does for `-f a.yml -f b.yml` and for `extends`
// (compose spec, "Merge"; compose-go override/merge.go): maps merge key by key, lists append,
// `command`/`entrypoint`/`healthcheck.test` are replaced, environment/labels/sysctls… given as a
// map or a list merge as `KEY=value` lists, depends_on and networks as maps, `build: ./dir` as
// `{ context }`, logging only when the driver is the same; `!reset` removes a value and
// `!override` replaces it whole. Uniqueness (ports, volumes by target, …) is read-unique.ts.
import type { SourcePos } from '../../diag/diagnostic.ts';
import { type CMap, type CNode, type CSeq, entry, get, isMap, isNull, isScalar, isSeq, scalar } from './compose-tree.ts';

export type MergeProblem = (path: string, message: string, pos: SourcePos) => void;

type Rule = 'replace' | 'to-seq' | 'hosts' | 'depends-on' | 'to-map' | 'build' | 'logging';

const RULES: [pattern: string, rule: Rule][] = [
  ['services/*/command', 'replace'],
  ['services/*/entrypoint', 'replace'],
  ['services/*/healthcheck/test', 'replace'],
  ['services/*/ulimits/*', 'replace'],
  ['services/*/environment', 'to-seq'],
  ['services/*/labels', 'to-seq'],
  ['services/*/annotations', 'to-seq'],
  ['services/*/sysctls', 'to-seq'],
  ['services/*/dns', 'to-seq'],
  ['services/*/dns_opt', 'to-seq'],
  ['services/*/dns_search', 'to-seq'],
  ['services/*/env_file', 'to-seq'],
  ['services/*/label_file', 'to-seq'],
  ['services/*/tmpfs', 'to-seq'],
  ['services/*/build/args', 'to-seq'],
  ['services/*/build/labels', 'to-seq'],
  ['services/*/build/additional_contexts', 'to-seq'],
  ['services/*/deploy/labels', 'to-seq'],
  ['services/*/volumes/*/volume/labels', 'to-seq'],
  ['networks/*/labels', 'to-seq'],
  ['volumes/*/labels', 'to-seq'],
  ['services/*/extra_hosts', 'hosts'],
  ['services/*/build/extra_hosts', 'hosts'],
  ['services/*/depends_on', 'depends-on'],
  ['services/*/networks', 'to-map'],
  ['services/*/build', 'build'],
  ['services/*/logging', 'logging'],
];

function ruleAt(path: readonly string[]): Rule | undefined {
  for (const [pattern, rule] of RULES) {
    const parts = pattern.split('/');
    if (parts.length === path.length && parts.every((p, i) => p === '*' || p === path[i])) return rule;
  }
  return undefined;
}

/** `over` merged onto `base` at `path` (key path from the document root); undefined = removed (`!reset`). */
export function mergeNode(base: CNode | undefined, over: CNode, path: readonly string[], problem: MergeProblem): CNode | undefined {
  if (over.tag === '!reset') return undefined;
  if (base === undefined || over.tag === '!override') return clean(over);
  const rule = ruleAt(path);
  switch (rule) {
    case 'replace':
      return clean(over);
    case 'to-seq':
      return append(toSeq(withoutReset(base, over)), toSeq(over));
    case 'hosts': {
      const b = toSeq(base);
      const seen = new Set(b.items.map(keyText));
      return append(b, { ...toSeq(over), items: toSeq(over).items.filter((i) => !seen.has(keyText(i))) });
    }
    case 'depends-on':
      return mergeMap(toMap(base, true), toMap(over, true), path, problem);
    case 'to-map':
      return mergeMap(toMap(base, false), toMap(over, false), path, problem);
    case 'build':
      return mergeMap(buildMap(base), buildMap(over), path, problem);
    case 'logging': {
      const bd = get(base, 'driver');
      const od = get(over, 'driver');
      if (isMap(base) && isMap(over) && (bd === undefined || od === undefined || scalarText(bd) === scalarText(od))) return mergeMap(base, over, path, problem);
      return clean(over);
    }
    default:
  }
  if (isNull(over)) return base;
  if (isMap(base) && isMap(over)) return mergeMap(base, over, path, problem);
  if (isSeq(base) && isSeq(over)) return append(base, clean(over) as CSeq);
  if ((isMap(base) || isSeq(base) || isMap(over) || isSeq(over)) && !isNull(base)) {
    problem(path.join('/'), `cannot merge ${shape(over)} onto the ${shape(base)} defined at ${where(base.pos)}`, over.pos);
    return base;
  }
  return clean(over);
}

export function mergeMap(base: CMap, over: CMap, path: readonly string[], problem: MergeProblem): CMap {
  const entries = [...base.entries];
  for (const e of over.entries) {
    const i = entries.findIndex((b) => b.key === e.key);
    const merged = mergeNode(i >= 0 ? entries[i]!.value : undefined, e.value, [...path, e.key], problem);
    if (merged === undefined) {
      if (i >= 0) entries.splice(i, 1);
    } else if (i >= 0) entries[i] = { ...entries[i]!, value: merged };
    else entries.push({ ...e, value: merged });
  }
  return { ...base, entries };
}

/** A copy without `!reset` values and merge tags (what a value means once nothing is under it). */
export function clean(n: CNode): CNode {
  const { tag: _tag, ...rest } = n;
  if (rest.kind === 'map') return { ...rest, entries: rest.entries.filter((e) => e.value.tag !== '!reset').map((e) => ({ ...e, value: clean(e.value) })) };
  if (rest.kind === 'seq') return { ...rest, items: rest.items.filter((i) => i.tag !== '!reset').map(clean) };
  return rest;
}

/** `base` without the keys `over` resets (`B: !reset null`), whether base writes them as a map or as `B=…` items. */
function withoutReset(base: CNode, over: CNode): CNode {
  if (!isMap(over)) return base;
  const gone = new Set(over.entries.filter((e) => e.value.tag === '!reset').map((e) => e.key));
  if (gone.size === 0) return base;
  if (isMap(base)) return { ...base, entries: base.entries.filter((e) => !gone.has(e.key)) };
  if (isSeq(base)) return { ...base, items: base.items.filter((i) => !gone.has((scalarText(i) ?? '').split('=')[0]!)) };
  return base;
}

function append(a: CSeq, b: CSeq): CSeq {
  return { ...a, items: [...a.items, ...b.items] };
}

/** `{ A: 1, B: null }` → `["A=1", "B"]` (sorted, as compose does); a string → `[it]`. */
function toSeq(n: CNode): CSeq {
  if (isSeq(n)) return clean(n) as CSeq;
  if (isMap(n)) {
    const items = n.entries
      .filter((e) => e.value.tag !== '!reset')
      .flatMap((e) => {
        if (isNull(e.value)) return [scalar(e.key, e.keyNode.pos)];
        if (isSeq(e.value)) return e.value.items.map((v) => scalar(`${e.key}=${scalarText(v) ?? ''}`, v.pos));
        return [scalar(`${e.key}=${scalarText(e.value) ?? ''}`, e.value.pos)];
      })
      .sort((a, b) => (String(a.value) < String(b.value) ? -1 : String(a.value) > String(b.value) ? 1 : 0));
    return { kind: 'seq', items, pos: n.pos };
  }
  if (isNull(n)) return { kind: 'seq', items: [], pos: n.pos };
  return { kind: 'seq', items: [clean(n)], pos: n.pos };
}

/** `[a, b]` → `{ a: null, b: null }`, or for depends_on `{ a: { condition: service_started, required: true } }`. */
function toMap(n: CNode, dependsOn: boolean): CMap {
  if (isMap(n)) return clean(n) as CMap;
  const items = isSeq(n) ? n.items : [];
  return {
    kind: 'map',
    pos: n.pos,
    entries: items.map((i) => {
      const name = scalarText(i) ?? '';
      if (!dependsOn) return entry(name, i.pos, scalar(null, i.pos));
      const cond: CMap = {
        kind: 'map',
        pos: i.pos,
        entries: [entry('condition', i.pos, scalar('service_started', i.pos)), entry('required', i.pos, scalar(true, i.pos))],
      };
      return entry(name, i.pos, cond);
    }),
  };
}

function buildMap(n: CNode): CMap {
  if (isMap(n)) return clean(n) as CMap;
  return { kind: 'map', pos: n.pos, entries: [entry('context', n.pos, clean(n))] };
}

function scalarText(n: CNode | undefined): string | undefined {
  return isScalar(n) && n.value !== null ? String(n.value) : undefined;
}

function keyText(n: CNode): string {
  return scalarText(n) ?? JSON.stringify(n);
}

function shape(n: CNode): string {
  return isMap(n) ? 'a map' : isSeq(n) ? 'a list' : 'a single value';
}

function where(p: SourcePos): string {
  return `${p.file}:${p.line}:${p.col}`;
}
