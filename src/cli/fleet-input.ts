// Loads the fleet for a command, turning diagnostics into a ConfigError. Which file: --file, else
// $SLIPWAY_FILE, else ./slipway.yaml (relative paths from the working directory).
import { resolve } from 'node:path';
import { loadFleet, type LoadResult } from '../config/load.ts';
import type { Fleet } from '../config/fleet.ts';
import type { CliContext } from './context.ts';
import { ConfigError } from '../diag/errors.ts';

export interface FleetOptions {
  file?: string;
}

export function fleetPath(ctx: CliContext, opts: FleetOptions): string {
  return resolve(ctx.cwd, opts.file || ctx.env.SLIPWAY_FILE || 'slipway.yaml');
}

export function requireFleet(ctx: CliContext, opts: FleetOptions): { fleet: Fleet; load: LoadResult } {
  const load = loadFleet(fleetPath(ctx, opts));
  if (!load.fleet) throw new ConfigError(load.diagnostics);
  return { fleet: load.fleet, load };
}
