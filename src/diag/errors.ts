// Run-time error hierarchy for the CLI boundary. User-facing errors carry what went wrong, where,
// and how to fix it; `main` prints them as `error: …` without a stack trace.
import type { Diagnostic } from './diagnostic.ts';

export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad command-line input (an unknown name, an option that does not apply): exit 2, like commander's own errors. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = 'UsageError';
  }
}

/** The fleet file (or another input) has problems; the diagnostics say which. */
export class ConfigError extends UserError {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`the fleet file has ${diagnostics.filter((d) => d.severity === 'error').length} problem(s)`, undefined, 2);
    this.name = 'ConfigError';
  }
}
