// The state of one compose read: the main file (paths are relative to its directory), the
// interpolation variables, the file reader, the diagnostics collected so far, and the helpers
// every part of the reader shares to walk the positioned tree (compose-tree.ts) and report typed
// problems at a node's file:line:col.
import type { Diagnostic, Severity, SourcePos } from '../../diag/diagnostic.ts';
import { type CEntry, isMap, isScalar, isSeq, type Node } from './compose-tree.ts';

/** A map entry: key, the key's node (for positions) and the value. */
export type Entry = CEntry;

export class ReadContext {
  /** `service/dependency` → where the dependency is named, for unknown-dependency errors. */
  readonly depPos = new Map<string, SourcePos>();
  /** `service/dependency` pairs declared `required: false`. */
  readonly optionalDeps = new Set<string>();
  /** Services left out because none of their profiles is enabled → their profiles. */
  readonly disabled = new Map<string, string[]>();

  constructor(
    readonly file: string,
    readonly vars: Readonly<Record<string, string>>,
    readonly read: (path: string) => string | undefined,
    readonly diags: Diagnostic[],
  ) {}

  /** The entries of a map (merge keys are already applied); [] for anything else. */
  entries(map: Node | null, _path?: string): Entry[] {
    return isMap(map) ? map.entries : [];
  }

  /** Kept for the readers' shape: the tree has no aliases left. */
  deref(n: Node | null | undefined): Node | null {
    return n ?? null;
  }

  pos(n: Node | null | undefined): SourcePos {
    return n?.pos ?? { file: this.file, line: 1, col: 1 };
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
