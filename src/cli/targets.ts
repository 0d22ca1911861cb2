// Resolves the APP / ENV / PROCESS arguments of a command against the fleet, with "did you mean".
import type { App, Environment, Fleet } from '../config/fleet.ts';
import { UsageError } from '../diag/errors.ts';
import { didYouMean } from '../util/did-you-mean.ts';

function pick<T extends { name: string }>(items: readonly T[], name: string, what: string): T {
  const found = items.find((i) => i.name === name);
  if (found) return found;
  const names = items.map((i) => i.name);
  const guess = didYouMean(name, names);
  throw new UsageError(`unknown ${what} "${name}"`, guess ? `did you mean "${guess}"?` : `${what}s in the fleet: ${names.join(', ') || '(none)'}`);
}

export function appEnv(fleet: Fleet, appName: string, envName: string): { app: App; env: Environment; server: string } {
  const app = pick(fleet.apps, appName, 'app');
  const env = pick(fleet.environments, envName, 'environment');
  const ae = app.perEnv[env.name];
  if (!ae) throw new UsageError(`app ${app.name} does not run in ${env.name}`, `it runs in: ${app.environments.join(', ')}`);
  return { app, env, server: ae.server };
}

export function envByName(fleet: Fleet, envName: string): Environment {
  return pick(fleet.environments, envName, 'environment');
}

export function processOf(app: App, env: string, name: string): string {
  return pick(app.perEnv[env]?.processes ?? [], name, 'process').name;
}

/** Servers an environment touches: one definition, shared with the workflows. */
export { serversOfEnv } from '../workflows/env-servers.ts';
