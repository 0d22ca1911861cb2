// The compose document as the reader sees it: plain YAML values (maps, lists, scalars) where every
// node and every map key keeps the file:line:col it came from, even after files are merged, a
// service extends another one from a second file, or an anchor is reused. Aliases and `<<` merge
// keys are already resolved and strings already interpolated when a tree exists; `tag` keeps the
// compose merge tags (`!reset`, `!override`) for the merge step.
import type { SourcePos } from '../../diag/diagnostic.ts';

export interface CScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  pos: SourcePos;
  tag?: string;
}

export interface CSeq {
  kind: 'seq';
  items: CNode[];
  pos: SourcePos;
  tag?: string;
}

export interface CEntry {
  key: string;
  /** The key itself as a node, for positions (`pos(e.keyNode)`). */
  keyNode: CScalar;
  value: CNode;
}

export interface CMap {
  kind: 'map';
  entries: CEntry[];
  pos: SourcePos;
  tag?: string;
}

export type CNode = CScalar | CSeq | CMap;
/** The reader's name for a node. */
export type Node = CNode;

export const isMap = (n: CNode | null | undefined): n is CMap => n?.kind === 'map';
export const isSeq = (n: CNode | null | undefined): n is CSeq => n?.kind === 'seq';
export const isScalar = (n: CNode | null | undefined): n is CScalar => n?.kind === 'scalar';

/** True for a missing value, `key:` with nothing after it, and `~`/`null`. */
export function isNull(n: CNode | null | undefined): boolean {
  return n === null || n === undefined || (n.kind === 'scalar' && n.value === null);
}

export function scalar(value: CScalar['value'], pos: SourcePos): CScalar {
  return { kind: 'scalar', value, pos };
}

export function entry(key: string, keyPos: SourcePos, value: CNode): CEntry {
  return { key, keyNode: scalar(key, keyPos), value };
}

/** The value under `key` in a map, if any. */
export function get(n: CNode | null | undefined, key: string): CNode | undefined {
  return isMap(n) ? n.entries.find((e) => e.key === key)?.value : undefined;
}

/** The text of a string or number scalar (`8080`, `"./api"`), else undefined. */
export function text(n: CNode | null | undefined): string | undefined {
  return isScalar(n) && (typeof n.value === 'string' || typeof n.value === 'number') ? String(n.value) : undefined;
}

/** A copy of `map` with `key` set to `value` (replaced in place, or appended). */
export function withEntry(map: CMap, key: string, value: CNode, keyPos: SourcePos = value.pos): CMap {
  const i = map.entries.findIndex((e) => e.key === key);
  const entries = [...map.entries];
  if (i >= 0) entries[i] = { ...entries[i]!, value };
  else entries.push(entry(key, keyPos, value));
  return { ...map, entries };
}

/** A copy of `map` without `key`. */
export function withoutEntry(map: CMap, key: string): CMap {
  return { ...map, entries: map.entries.filter((e) => e.key !== key) };
}
