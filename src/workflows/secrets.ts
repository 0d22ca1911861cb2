// Secrets kept on the servers (state volume, mode 0600): set, remove and list them by name. A value
// arrives wrapped in a Secret and is unwrapped only to be written to the store; nothing returned
// here holds a value. A basic-auth password takes effect at once: the proxy of each server whose
// routes use it is reloaded.
import { UserError } from '../diag/errors.ts';
import type { Secret } from '../util/secret.ts';
import { runsOfEnv } from './env-servers.ts';
import type { FleetSession } from './fleet-session.ts';
import { proxyInputs, reloadProxy } from './proxy.ts';
import { authSecrets } from './proxy-config.ts';
import type { ServerRun } from './server-run.ts';

const NAME = /^[A-Za-z0-9._/-]+$/;

/** Throws a UserError for a name the store cannot hold. */
export function checkSecretName(name: string): void {
  if (!NAME.test(name)) throw new UserError(`invalid secret name "${name}"`, 'use letters, digits, ".", "_", "-" and "/"');
}

export interface ProxyReloads {
  /** Servers whose proxy was reloaded with a new basic-auth config. */
  proxyReloaded: string[];
  /** Servers whose proxy could not be reloaded (also reported as warnings); the secret is stored. */
  proxyErrors: { server: string; error: string }[];
}

export interface SecretSetResult extends ProxyReloads {
  name: string;
  env: string | null;
  /** Servers the secret was written to. */
  servers: string[];
}

export interface SecretRemoveResult extends ProxyReloads {
  name: string;
  env: string | null;
  /** Servers that had the secret. */
  removedFrom: string[];
}

export interface SecretRow {
  server: string;
  name: string;
  /** The environment it is scoped to; null for the server-wide value. */
  env: string | null;
}

/**
 * Sets NAME (for ENV only with `env`) on every server of the session that needs it: the servers of
 * ENV, or all of them.
 */
export async function setSecret(session: FleetSession, opts: { name: string; value: Secret; env?: string }): Promise<SecretSetResult> {
  checkSecretName(opts.name);
  if (opts.value.empty) throw new UserError(`the value of secret ${opts.name} is empty`, 'give a non-empty value');
  const result: SecretSetResult = { name: opts.name, env: opts.env ?? null, servers: [], proxyReloaded: [], proxyErrors: [] };
  for (const [server, run] of runsOfEnv(session, opts.env)) {
    await run.store.setSecret(opts.name, opts.value, opts.env);
    result.servers.push(server);
    await reloadIfAuth(run, opts.name, result);
  }
  return result;
}

/** Removes NAME (only ENV's own value with `env`) from every server of the session that has it. */
export async function removeSecret(session: FleetSession, opts: { name: string; env?: string }): Promise<SecretRemoveResult> {
  checkSecretName(opts.name);
  const result: SecretRemoveResult = { name: opts.name, env: opts.env ?? null, removedFrom: [], proxyReloaded: [], proxyErrors: [] };
  for (const [server, run] of runsOfEnv(session, opts.env)) {
    if (!(await run.store.deleteSecret(opts.name, opts.env))) continue;
    result.removedFrom.push(server);
    // A removed basic-auth password stops working at once (its environment is locked).
    await reloadIfAuth(run, opts.name, result);
  }
  return result;
}

/** Secret names on every server of the session, never values. */
export async function listSecrets(session: FleetSession): Promise<SecretRow[]> {
  const rows: SecretRow[] = [];
  for (const [server, run] of session.runs)
    for (const n of await run.store.listSecrets()) {
      const scope = /^env:([^:]+):/.exec(n);
      rows.push({ server, name: scope ? n.slice(scope[0].length) : n, env: scope?.[1] ?? null });
    }
  return rows;
}

async function reloadIfAuth(run: ServerRun, name: string, out: ProxyReloads): Promise<void> {
  if (!authSecrets(run.state).includes(name)) return;
  const server = run.conn.server.name;
  try {
    if (await reloadProxy(run, await proxyInputs(run))) out.proxyReloaded.push(server);
  } catch (e) {
    run.report.warn(`proxy not reloaded: ${(e as Error).message}`);
    out.proxyErrors.push({ server, error: (e as Error).message });
  }
}
