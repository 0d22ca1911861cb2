// YAML with source positions: parses a document once and answers "where is the node (or key)
// at this path?" so every diagnostic can point at file:line:col.
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic, SourcePos } from '../diag/diagnostic.ts';

export type PathPart = string | number;

export class YamlSource {
  readonly doc: Document.Parsed;
  readonly #lines = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
  }

  /** Syntax problems (bad indentation, duplicate keys…) as diagnostics. */
  syntaxDiagnostics(): Diagnostic[] {
    return [...this.doc.errors, ...this.doc.warnings].map((e) => ({
      severity: this.doc.errors.includes(e) ? 'error' : 'warning',
      code: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
      path: '',
      message: firstLine(e.message),
      hint:
        e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a map; merge or rename one of them' : 'check indentation and quoting around this position',
      pos: this.posAt(e.pos[0]),
    }));
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  posAt(offset: number): SourcePos {
    const { line, col } = this.#lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** Position of the value at `path`, or of its closest existing ancestor. */
  posOf(path: readonly PathPart[]): SourcePos {
    const node = this.#nodeAt(path) ?? this.#closest(path);
    return this.posAt(node?.range?.[0] ?? 0);
  }

  /** Position of the key `key` inside the map at `path` (for unknown-key diagnostics). */
  posOfKey(path: readonly PathPart[], key: string): SourcePos {
    const map = this.#nodeAt(path);
    if (isMap(map)) {
      for (const pair of map.items) {
        if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return this.posAt(pair.key.range[0]);
      }
    }
    return this.posOf(path);
  }

  /** The source line (without newline) for a 1-based line number. */
  lineText(line: number): string {
    return this.text.split(/\r?\n/)[line - 1] ?? '';
  }

  #nodeAt(path: readonly PathPart[]): Node | undefined {
    if (path.length === 0) return (this.doc.contents as Node | null) ?? undefined;
    const n = this.doc.getIn(path, true);
    return n && typeof n === 'object' && 'range' in (n as object) ? (n as Node) : undefined;
  }

  #closest(path: readonly PathPart[]): Node | undefined {
    for (let i = path.length - 1; i >= 0; i--) {
      const n = this.#nodeAt(path.slice(0, i));
      if (n) return n;
    }
    return undefined;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
