// Parsers for option and argument values, run by commander while it parses the command line, so a
// bad value is a usage error (exit 2) before anything runs. They return the text unchanged: command
// bodies convert it.
import { InvalidArgumentError } from 'commander';

/** Help text of every command's `--file`: the flag wins over $SLIPWAY_FILE, which wins over ./slipway.yaml. */
export const FILE_HELP = 'fleet file (default: $SLIPWAY_FILE, else slipway.yaml)';

function numeric(v: string, ok: (n: number) => boolean, expected: string): string {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new InvalidArgumentError(`Expected ${expected}.`);
  return v;
}

export const nonNegativeNumber = (v: string): string => numeric(v, (n) => n >= 0, 'a number ≥ 0');
export const nonNegativeInteger = (v: string): string => numeric(v, (n) => n >= 0 && Number.isInteger(n), 'a whole number ≥ 0');
export const positiveInteger = (v: string): string => numeric(v, (n) => n >= 1 && Number.isInteger(n), 'a whole number ≥ 1');

export function secretName(v: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(v)) throw new InvalidArgumentError('Use letters, digits, ".", "_", "-" and "/".');
  return v;
}
