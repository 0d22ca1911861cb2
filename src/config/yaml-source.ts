// YAML with source positions: parses a document once and answers "where is the node (or key)
// at this path?" so every diagnostic can point at file:line:col.
import { isCollection, isMap, isScalar, LineCounter, parseDocument, visit, type Document, type Node, type YAMLError } from 'yaml';
import type { Diagnostic, SourcePos } from '../diag/diagnostic.ts';

/**
 * The YAML library ran out of stack (it recurses once per level of nesting). V8 usually says so
 * with a RangeError; when the stack runs out while it compiles a regular expression, with a
 * SyntaxError that says "Maximum call stack size exceeded" (found by `npm run fuzz`).
 */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError || (e instanceof SyntaxError && e.message.includes('Maximum call stack size exceeded'));
}

export type PathPart = string | number;

/** Syntax diagnostics shown for one file before the rest are summed up in one. */
export const MAX_SYNTAX_DIAGNOSTICS = 50;

export class YamlSource {
  readonly doc: Document.Parsed;
  readonly #lines = new LineCounter();

  /** A file the YAML library cannot even parse (nesting deeper than its recursion allows). */
  readonly #fatal: Diagnostic | undefined;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    try {
      this.doc = parseDocument(text, { lineCounter: this.#lines, prettyErrors: false, uniqueKeys: true });
    } catch (e) {
      if (!isStackOverflow(e)) throw e;
      this.doc = parseDocument('');
      this.#fatal = {
        severity: 'error',
        code: 'yaml-too-deep',
        path: '',
        message: 'the YAML nests too deeply to be read (hundreds of levels of lists or maps)',
        hint: 'a fleet file nests a few levels; look for a long run of unclosed [ or {',
        pos: { file, line: 1, col: 1 },
      };
    }
  }

  /** Syntax problems (bad indentation, duplicate keys…) as diagnostics. */
  syntaxDiagnostics(): Diagnostic[] {
    if (this.#fatal) return [this.#fatal];
    return [...this.#syntax(), ...this.#collectionKeys()];
  }

  /** Keys that are lists or maps (`? [a]: b`): plain data has no such keys. */
  #collectionKeys(): Diagnostic[] {
    const out: Diagnostic[] = [];
    visit(this.doc, {
      Pair: (_k, pair) => {
        if (!isCollection(pair.key)) return;
        out.push({
          severity: 'error',
          code: 'bad-key',
          path: '',
          message: 'a key must be a plain value, not a list or a map',
          hint: 'write the key as a string',
          pos: this.posAt((pair.key as Node).range?.[0] ?? 0),
        });
      },
    });
    return out;
  }

  #syntax(): Diagnostic[] {
    const one =
      (severity: 'error' | 'warning') =>
      (e: YAMLError): Diagnostic => ({
        severity,
        code: e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
        path: '',
        message: firstLine(e.message),
        hint:
          e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a map; merge or rename one of them' : 'check indentation and quoting around this position',
        pos: this.posAt(e.pos[0]),
      });
    const all = [...this.doc.errors.map(one('error')), ...this.doc.warnings.map(one('warning'))];
    if (all.length <= MAX_SYNTAX_DIAGNOSTICS) return all;
    // A mangled file yields one error per token (tens of thousands): the first ones say where it
    // breaks, the rest are echoes of it.
    const rest = all.length - MAX_SYNTAX_DIAGNOSTICS;
    return [
      ...all.slice(0, MAX_SYNTAX_DIAGNOSTICS),
      {
        severity: 'error',
        code: 'yaml-syntax',
        path: '',
        message: `${rest} more YAML syntax problems after these`,
        hint: 'fix the first ones: the rest usually follow from them',
        pos: all[MAX_SYNTAX_DIAGNOSTICS]!.pos,
      },
    ];
  }

  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  /** The document as plain data, or a diagnostic when its aliases expand too far (a "billion laughs"). */
  toData(): { data: unknown } | { diagnostic: Diagnostic } {
    try {
      return { data: this.toJS() };
    } catch (e) {
      if (!(e instanceof ReferenceError) && !isStackOverflow(e)) throw e;
      let first: number | undefined;
      visit(this.doc, { Alias: (_k, n) => void (first ??= n.range?.[0]) });
      return {
        diagnostic: {
          severity: 'error',
          code: 'yaml-aliases',
          path: '',
          message: 'the aliases (*name) of this file expand to too many values',
          hint: 'use each anchor (&name) a few times at most, and never inside itself',
          pos: this.posAt(first ?? 0),
        },
      };
    }
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
