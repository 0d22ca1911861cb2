// The fleet file as the control plane reads it: once per operation, so edits made while
// `slipway serve` runs are seen by the next request. A file that does not load is a UserError
// naming its first problem (the API answers 422), never a stack trace.
import { resolve } from 'node:path';
import type { Fleet } from '../config/fleet.ts';
import { loadFleet } from '../config/load.ts';
import { UserError } from '../diag/errors.ts';

export function fleetFileLoader(path: string): () => Fleet {
  const file = resolve(path);
  return () => {
    const loaded = loadFleet(file);
    if (loaded.fleet) return loaded.fleet;
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const where = first?.pos ? `${first.pos.file}:${first.pos.line}:${first.pos.col}` : file;
    throw new UserError(
      `the fleet file has ${errors.length} problem(s); the first, at ${where}${first?.path ? ` (${first.path})` : ''}: ${first?.message ?? 'unknown'}`,
      first?.hint ?? `run: slipway validate --file ${file}`,
    );
  };
}
