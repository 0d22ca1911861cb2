// One compose file's text → a positioned tree (compose-tree.ts), as docker compose reads it before
// merging: YAML syntax and duplicate keys checked, aliases and `<<` merge keys resolved (explicit
// keys win), every string value interpolated from the project's variables (`${VAR:?err}` is an
// error at its line, an unset variable a warning and an empty string), `!reset`/`!override` kept.
import {
  isAlias,
  isMap as isYamlMap,
  isPair,
  isScalar as isYamlScalar,
  isSeq as isYamlSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node as YamlNode,
} from 'yaml';
import type { Diagnostic, SourcePos } from '../../diag/diagnostic.ts';
import type { CEntry, CMap, CNode } from './compose-tree.ts';
import { entry, isMap, scalar } from './compose-tree.ts';
import { isStackOverflow, MAX_SYNTAX_DIAGNOSTICS } from '../yaml-source.ts';
import { interpolate } from './interpolate.ts';

const MERGE_TAGS = new Set(['!reset', '!override']);
export const UNSET_HINT =
  'set it in the .env file beside the compose file (or an env_file named under compose: in slipway.yaml), or give it a default: ${VAR:-value}';

/** Parses and interpolates `text`; undefined (with errors in `diags`) when the YAML is broken. */
export function loadDocument(file: string, text: string, vars: Readonly<Record<string, string>>, diags: Diagnostic[]): CNode | undefined {
  const lines = new LineCounter();
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The YAML library recurses once per level: hundreds of nested [ or { overflow its stack.
    if (!isStackOverflow(e)) throw e;
    diags.push({
      severity: 'error',
      code: 'yaml-too-deep',
      path: '',
      message: 'the YAML nests too deeply to be read (hundreds of levels of lists or maps)',
      hint: 'a compose file nests a few levels; look for a long run of unclosed [ or {',
      pos: { file, line: 1, col: 1 },
    });
    return undefined;
  }
  const posAt = (offset: number): SourcePos => ({ file, ...lines.linePos(offset) });
  if (doc.errors.length > 0) {
    const seen = new Set<number>();
    for (const e of doc.errors) {
      const pos = posAt(e.pos[0]);
      if (seen.has(pos.line)) continue; // follow-on errors of the same broken line
      seen.add(pos.line);
      if (seen.size > MAX_SYNTAX_DIAGNOSTICS) {
        diags.push({
          severity: 'error',
          code: 'yaml-syntax',
          path: '',
          message: `more YAML syntax problems after these (${doc.errors.length} in all)`,
          hint: 'fix the first ones: the rest usually follow from them',
          pos,
        });
        break;
      }
      const dup = e.code === 'DUPLICATE_KEY';
      diags.push({
        severity: 'error',
        code: dup ? 'duplicate-key' : 'yaml-syntax',
        path: '',
        message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
        hint: dup ? 'each key may appear once in a map' : 'check indentation and quoting around this position',
        pos,
      });
    }
    return undefined;
  }
  const conv = new Converter(doc, posAt, vars, diags);
  const tree = conv.node(doc.contents as YamlNode | null, [], doc.contents?.range?.[0] ?? 0);
  // Aliases share nodes; every later step copies them out. A "billion laughs" (anchors of lists of
  // aliases of anchors…) would expand exponentially there: refuse it here, as docker compose does.
  if (expandedSize(tree, new Map()) > MAX_EXPANDED_NODES) {
    let first: number | undefined;
    visit(doc, { Alias: (_k, a) => void (first ??= a.range?.[0]) });
    diags.push({
      severity: 'error',
      code: 'yaml-aliases',
      path: '',
      message: `the aliases (*name) of this file expand to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} values`,
      hint: 'use each anchor (&name) a few times at most; a compose file this large is usually a "billion laughs"',
      pos: posAt(first ?? 0),
    });
    return undefined;
  }
  return tree;
}

/** Values a compose file may expand to once its aliases are copied out (the largest of the corpus, Sentry's, has 3 369). */
export const MAX_EXPANDED_NODES = 20_000;

/** Nodes of `n` with every shared (aliased) node counted each time it is used. */
function expandedSize(n: CNode, memo: Map<CNode, number>): number {
  const known = memo.get(n);
  if (known !== undefined) return known;
  let size = 1;
  if (n.kind === 'map') for (const e of n.entries) size += 1 + expandedSize(e.value, memo);
  else if (n.kind === 'seq') for (const i of n.items) size += expandedSize(i, memo);
  memo.set(n, size);
  return size;
}

class Converter {
  readonly #done = new Map<YamlNode, CNode>();
  readonly #open = new Set<YamlNode>();

  constructor(
    readonly doc: ReturnType<typeof parseDocument>,
    readonly posAt: (offset: number) => SourcePos,
    readonly vars: Readonly<Record<string, string>>,
    readonly diags: Diagnostic[],
  ) {}

  node(n: YamlNode | null | undefined, path: string[], fallback: number): CNode {
    if (n === null || n === undefined) return scalar(null, this.posAt(fallback));
    const pos = this.posAt(n.range?.[0] ?? fallback);
    const target = isAlias(n) ? ((n.resolve(this.doc) as YamlNode | undefined) ?? null) : n;
    if (target === null) return scalar(null, pos);
    const cached = this.#done.get(target);
    if (cached) return cached;
    if (this.#open.has(target)) {
      this.error(
        'alias-cycle',
        path,
        `alias ${String(isAlias(n) ? n.source : '')} refers to a value that contains it`,
        'an anchor cannot be used inside itself',
        pos,
      );
      return scalar(null, pos);
    }
    this.#open.add(target);
    const out = this.convert(target, path);
    this.#open.delete(target);
    this.#done.set(target, out);
    return out;
  }

  convert(n: YamlNode, path: string[]): CNode {
    const pos = this.posAt(n.range?.[0] ?? 0);
    const tag = n.tag && MERGE_TAGS.has(n.tag) ? { tag: n.tag } : {};
    if (isYamlMap(n)) return { kind: 'map', entries: this.entries(n, path), pos, ...tag };
    if (isYamlSeq(n)) return { kind: 'seq', items: n.items.map((it, i) => this.node(it as YamlNode, [...path, String(i)], n.range?.[0] ?? 0)), pos, ...tag };
    if (isYamlScalar(n)) {
      const v = n.value;
      if (tag.tag === '!reset') return { ...scalar(null, pos), ...tag };
      if (typeof v === 'string') return { ...scalar(this.interpolate(v, path, pos), pos), ...tag };
      if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return { ...scalar(v ?? null, pos), ...tag };
      return { ...scalar(String(v), pos), ...tag };
    }
    return scalar(null, pos);
  }

  entries(n: YamlNode & { items: unknown[] }, path: string[]): CEntry[] {
    const own: CEntry[] = [];
    const merged: CEntry[] = [];
    for (const pair of n.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyPos = this.posAt(keyNode?.range?.[0] ?? n.range?.[0] ?? 0);
      const key = isYamlScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== 'object' ? String(keyNode.value) : undefined;
      if (key === '<<') {
        const src = this.node(pair.value as YamlNode | null, path, keyNode?.range?.[0] ?? 0);
        const sources = src.kind === 'seq' ? src.items : [src];
        for (const s of sources) {
          if (isMap(s)) merged.push(...s.entries);
          else this.error('bad-type', path, 'expected a merge of a map (<<: *anchor)', 'merge keys take an alias of a map, or a list of them', s.pos);
        }
        continue;
      }
      if (key === undefined) {
        this.error('bad-type', path, 'keys must be plain strings', 'quote the key', keyPos);
        continue;
      }
      own.push(entry(key, keyPos, this.node(pair.value as YamlNode | null, [...path, key], keyNode?.range?.[1] ?? 0)));
    }
    const seen = new Set(own.map((e) => e.key));
    for (const m of merged) {
      if (seen.has(m.key)) continue;
      seen.add(m.key);
      own.push(m);
    }
    return own;
  }

  interpolate(raw: string, path: string[], pos: SourcePos): string {
    if (!raw.includes('$')) return raw;
    const r = interpolate(raw, this.vars);
    const where = path.join('/');
    for (const u of r.unresolved) {
      if (u.kind === 'required') this.error('required-variable', where, u.message, UNSET_HINT.replaceAll('VAR', u.name), pos);
      else if (u.kind === 'invalid') this.error('bad-interpolation', where, u.message, 'write ${NAME}, ${NAME:-default}, or $$ for a literal dollar sign', pos);
      else
        this.diags.push({
          severity: 'warning',
          code: 'unset-variable',
          path: where,
          message: `${u.message}: it becomes an empty string, as in docker compose`,
          hint: UNSET_HINT.replaceAll('VAR', u.name),
          pos,
        });
    }
    return r.value;
  }

  error(code: string, path: string[] | string, message: string, hint: string, pos: SourcePos): void {
    this.diags.push({ severity: 'error', code, path: Array.isArray(path) ? path.join('/') : path, message, hint, pos });
  }
}

/** An empty map at the start of `file`, the identity for merging. */
export function emptyMap(file: string): CMap {
  return { kind: 'map', entries: [], pos: { file, line: 1, col: 1 } };
}
