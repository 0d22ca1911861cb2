// The state of one compose read: the parsed YAML document with its line counter (so every node
// has a file:line:col), the diagnostics collected so far, and the structural helpers every part
// of the reader shares (alias resolution, `<<` merge keys, typed problem reports).
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic, Severity, SourcePos } from '../../diag/diagnostic.ts';

/** A map entry with `<<` merges applied and aliases resolved. */
export type Entry = { key: string; keyNode: Node | null; value: Node | null };

export class ReadContext {
  readonly #lines = new LineCounter();
  readonly doc: Document.Parsed;
  /** `service/dependency` → where the dependency is named, for unknown-dependency errors. */
  readonly depPos = new Map<string, SourcePos>();

  constructor(
    readonly file: string,
    readonly text: string,
    readonly vars: Record<string, string>,
    readonly read: (path: string) => string | undefined,
    readonly diags: Diagnostic[],
  ) {
    this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
  }

  /** Map entries with `<<` merge keys applied (explicit keys win), aliases resolved. */
  entries(map: Node | null, path: string): Entry[] {
    const node = this.deref(map);
    if (!isMap(node)) return [];
    const out: Entry[] = [];
    const merged: Entry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const value = (pair.value as Node | null) ?? null;
      if (key === '<<') {
        const src = this.deref(value);
        const sources = isSeq(src) ? src.items.map((i) => this.deref(i as Node)) : [src];
        for (const s of sources) {
          if (isMap(s)) merged.push(...this.entries(s, path));
          else this.badType(value, path, 'a merge of a map (<<: *anchor)');
        }
        continue;
      }
      if (key === undefined) {
        this.add('error', 'bad-type', path, 'keys must be plain strings', 'quote the key', this.pos(keyNode));
        continue;
      }
      out.push({ key, keyNode, value });
    }
    const seen = new Set(out.map((e) => e.key));
    for (const m of merged) {
      if (seen.has(m.key)) continue;
      seen.add(m.key);
      out.push(m);
    }
    return out;
  }

  deref(n: Node | null | undefined): Node | null {
    if (n === undefined || n === null) return null;
    if (isAlias(n)) return (n.resolve(this.doc) as Node | undefined) ?? null;
    return n;
  }

  pos(n: Node | null | undefined): SourcePos {
    const off = n?.range?.[0];
    return this.posAt(off ?? 0);
  }

  posAt(offset: number): SourcePos {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, col };
  }

  badType(n: Node | null, path: string, expected: string): void {
    this.add(
      'error',
      'bad-type',
      path,
      `expected ${expected}, got ${describe(this.deref(n))}`,
      `see the compose reference for "${path.split('/').pop()}"`,
      this.pos(n),
    );
  }

  unsupported(e: Entry, path: string, message: string): void {
    this.add(
      'warning',
      'unsupported-compose-key',
      path,
      message,
      'it is ignored; remove it, or express it in slipway.yaml if Slipway has an equivalent',
      this.pos(e.keyNode ?? e.value),
    );
  }

  add(severity: Severity, code: string, path: string, message: string, hint: string, pos: SourcePos): void {
    this.diags.push({ severity, code, path, message, hint, pos });
  }
}

/** How a node reads in a message: `a map`, `a list`, `"text"`, `42`, `null`, `nothing`. */
export function describe(n: Node | null): string {
  if (n === null) return 'nothing';
  if (isMap(n)) return 'a map';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    if (n.value === null) return 'null';
    if (typeof n.value === 'string') return `"${n.value}"`;
    return String(n.value);
  }
  return 'an unknown value';
}
