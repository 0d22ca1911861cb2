// DesireError: a fleet that desire cannot turn into resources (e.g. more than 16 Redis DBs on one
// instance). It carries a stable code and the key path to point the user at; the CLI prints it as
// `error: …` and the loader may turn it into a Diagnostic with `toDiagnostic()`.
import type { Diagnostic } from '../../diag/diagnostic.ts';

export class DesireError extends Error {
  override readonly name = 'DesireError';
  constructor(
    readonly code: string,
    message: string,
    readonly path: string,
    readonly hint?: string,
  ) {
    super(message);
  }

  toDiagnostic(): Diagnostic {
    const d: Diagnostic = { severity: 'error', code: this.code, path: this.path, message: this.message };
    if (this.hint !== undefined) d.hint = this.hint;
    return d;
  }
}
