// Diagnostic: one problem found in user input, with where it is and how to fix it.
// Loaders collect these instead of throwing, so a user sees every problem at once.

export interface SourcePos {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine code, e.g. `unknown-key`, `bad-type`. */
  code: string;
  /** Key path inside the document, `apps/api/processes/web/port`. */
  path: string;
  message: string;
  hint?: string;
  pos?: SourcePos;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}
