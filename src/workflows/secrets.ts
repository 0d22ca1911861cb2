// Secrets, in either store: the servers' state (volume, mode 0600) or the repository's
// age-encrypted files (secrets/{env}.age, secrets/_all.age; workflows/secrets-file.ts). Set,
// remove and list them by name. A value arrives wrapped in a Secret and is unwrapped only to be
// written to its store; nothing returned here holds a value. On the servers, a basic-auth
// password takes effect at once: the proxy of each server whose routes use it is reloaded. In the
// file, a value takes effect at the next deploy or up. Which one a deploy uses when both hold a
// name: secrets-file-lookup.ts (the file).
import type { Fleet } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';
import { usesSecretsFiles } from '../secrets/recipients.ts';
import { checkSecretName } from '../secrets/secret-names.ts';
import type { Secret } from '../util/secret.ts';
import { runsOfEnv } from './env-servers.ts';
import type { FleetSession } from './fleet-session.ts';
import { proxyInputs, reloadProxy } from './proxy.ts';
import { authSecrets } from './proxy-config.ts';
import type { SecretFiles } from './secrets-file.ts';
import type { ServerRun } from './server-run.ts';

export { checkSecretName };

export type SecretStore = 'file' | 'server';

/** The store `secret set/rm/import` use without --store: the file when the fleet file declares any secrets recipient. */
export function defaultSecretStore(fleet: Fleet): SecretStore {
  return usesSecretsFiles(fleet) ? 'file' : 'server';
}

export interface ProxyReloads {
  /** Servers whose proxy was reloaded with a new basic-auth config. */
  proxyReloaded: string[];
  /** Servers whose proxy could not be reloaded (also reported as warnings); the secret is stored. */
  proxyErrors: { server: string; error: string }[];
}

export interface SecretSetResult extends ProxyReloads {
  store: 'server';
  name: string;
  env: string | null;
  /** Servers the secret was written to. */
  servers: string[];
}

export interface SecretRemoveResult extends ProxyReloads {
  store: 'server';
  name: string;
  env: string | null;
  /** Servers that had the secret. */
  removedFrom: string[];
}

/** A name in a store: on a server, or in a file of the repository. */
export type SecretRow =
  | {
      store: 'server';
      server: string;
      name: string;
      /** The environment it is scoped to; null for the server-wide value. */
      env: string | null;
    }
  | {
      store: 'file';
      /** `secrets/prod.age`, relative to the fleet file. */
      file: string;
      name: string;
      /** The environment whose file it is in; null for `_all.age`. */
      env: string | null;
    };

/** `secret set/rm` in the repository's file: where, and to how many recipients it is encrypted. */
export interface FileSecretResult {
  store: 'file';
  name: string;
  env: string | null;
  file: string;
  recipients: number;
}

/**
 * Sets NAME (for ENV only with `env`) on every server of the session that needs it: the servers of
 * ENV, or all of them.
 */
export async function setSecret(session: FleetSession, opts: { name: string; value: Secret; env?: string }): Promise<SecretSetResult> {
  checkSecretName(opts.name);
  if (opts.value.empty) throw new UserError(`the value of secret ${opts.name} is empty`, 'give a non-empty value');
  const result: SecretSetResult = { store: 'server', name: opts.name, env: opts.env ?? null, servers: [], proxyReloaded: [], proxyErrors: [] };
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
  const result: SecretRemoveResult = { store: 'server', name: opts.name, env: opts.env ?? null, removedFrom: [], proxyReloaded: [], proxyErrors: [] };
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
      rows.push({ store: 'server', server, name: scope ? n.slice(scope[0].length) : n, env: scope?.[1] ?? null });
    }
  return rows;
}

/** Sets NAME in ENV's file (or the file every environment reads), re-encrypted to its recipients; no server is contacted. */
export async function setFileSecret(files: SecretFiles, opts: { name: string; value: Secret; env?: string }): Promise<FileSecretResult> {
  const r = await files.set(opts.name, opts.value, opts.env ?? null);
  return { store: 'file', name: opts.name, env: opts.env ?? null, file: r.file, recipients: r.recipients.length };
}

/** Removes NAME from ENV's file (or the shared one); undefined when it was not there. */
export async function removeFileSecret(files: SecretFiles, opts: { name: string; env?: string }): Promise<FileSecretResult | undefined> {
  checkSecretName(opts.name);
  if (!files.exists(opts.env ?? null)) return undefined;
  const r = await files.remove(opts.name, opts.env ?? null);
  return r ? { store: 'file', name: opts.name, env: opts.env ?? null, file: r.file, recipients: r.recipients.length } : undefined;
}

/** Secret names in the repository's files (each file decrypted in memory), never values. */
export async function listFileSecrets(files: SecretFiles): Promise<SecretRow[]> {
  return (await files.names()).flatMap((f) => f.names.map((name): SecretRow => ({ store: 'file', file: f.file, name, env: f.env })));
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
