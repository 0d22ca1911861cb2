// `secret import FILE`: the values of a SOPS file encrypted with age (YAML, JSON or dotenv) go
// into either store, decrypted in memory with the operator's identity and the file's MAC checked
// first. Nested keys become names joined with "/" (`db/password`); values that cannot be secrets
// (null, empty, shorter than 8 characters, bad names) are refused by name unless skipped on
// purpose. Also `secret rekey`: re-encrypt the repository's files to the recipients declared now.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { UserError } from '../diag/errors.ts';
import { checkSecretName, isGeneratedSecret } from '../secrets/secret-names.ts';
import { decryptSops } from '../secrets/sops-decrypt.ts';
import { parseSopsFile, type SopsFormat, sopsFormatOf } from '../secrets/sops-file.ts';
import { MIN_SECRET_LENGTH, type Secret } from '../util/secret.ts';
import type { FleetSession } from './fleet-session.ts';
import type { SecretFiles } from './secrets-file.ts';
import { type IdentityOptions, requireIdentities } from './secrets-file-identity.ts';
import { setSecret } from './secrets.ts';

export interface SopsValues {
  from: string;
  format: SopsFormat;
  values: Map<string, Secret>;
  skipped: { name: string; reason: string }[];
}

/** Reads and decrypts a SOPS file; throws naming every value that cannot be imported (unless in `skip`). */
export async function readSopsValues(path: string, ids: IdentityOptions, skip: readonly string[] = []): Promise<SopsValues> {
  const abs = resolve(ids.cwd, path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'give the path of a file encrypted with sops');
  }
  const format = sopsFormatOf(abs, text);
  const file = parseSopsFile(text, format, path);
  const d = await decryptSops(file, await requireIdentities(ids, `decrypting ${path}`), path);
  const values = new Map<string, Secret>();
  const skipped: { name: string; reason: string }[] = [];
  const refused: string[] = [];
  const judge = (name: string, reason: string | undefined, value?: Secret) => {
    if (skip.includes(name)) skipped.push({ name, reason: reason ?? '--skip' });
    else if (reason) refused.push(`${name} (${reason})`);
    else values.set(name, value!);
  };
  for (const name of d.nulls) judge(name, 'null');
  for (const e of d.entries) {
    let reason: string | undefined;
    try {
      checkSecretName(e.name);
    } catch {
      reason = 'not a valid secret name';
    }
    if (!reason && isGeneratedSecret(e.name)) reason = 'a name Slipway generates';
    if (!reason && e.value.empty) reason = 'empty';
    else if (!reason && !e.value.redactable) reason = `shorter than ${MIN_SECRET_LENGTH} characters`;
    judge(e.name, reason, e.value);
  }
  if (refused.length)
    throw new UserError(
      `${path}: ${refused.length} value${refused.length === 1 ? '' : 's'} cannot be imported: ${refused.join(', ')}`,
      `fix them in the file, or leave them out with --skip ${refused.map((r) => r.split(' ')[0]).join(',')}`,
    );
  for (const s of skip)
    if (!skipped.some((x) => x.name === s)) throw new UserError(`--skip ${s}: ${path} has no such value`, 'give names as the error listed them');
  if (values.size === 0) throw new UserError(`${path}: no value to import`, 'is it the right file?');
  return { from: basename(path), format, values, skipped };
}

export type SecretImportResult = { from: string; format: SopsFormat; names: string[]; skipped: { name: string; reason: string }[]; env: string | null } & (
  | { store: 'file'; file: string; recipients: number }
  | { store: 'server'; servers: string[] }
);

/** Writes the values into ENV's (or the shared) file at once. */
export async function importIntoFile(files: SecretFiles, v: SopsValues, env?: string): Promise<SecretImportResult> {
  const r = await files.setMany(v.values, env ?? null);
  return {
    from: v.from,
    format: v.format,
    names: [...v.values.keys()],
    skipped: v.skipped,
    env: env ?? null,
    store: 'file',
    file: r.file,
    recipients: r.recipients.length,
  };
}

/** Sets each value on the servers (of ENV, or all), reloading a proxy whose basic-auth password changed. */
export async function importIntoServers(session: FleetSession, v: SopsValues, env?: string): Promise<SecretImportResult> {
  const servers = new Set<string>();
  for (const [name, value] of v.values) for (const s of (await setSecret(session, { name, value, env })).servers) servers.add(s);
  return { from: v.from, format: v.format, names: [...v.values.keys()], skipped: v.skipped, env: env ?? null, store: 'server', servers: [...servers].sort() };
}

export interface SecretRekeyResult {
  files: { file: string; env: string | null; recipients: number }[];
}

/** Re-encrypts ENV's file (or every file) to the recipients the fleet file declares now. */
export async function rekeySecretFiles(files: SecretFiles, env?: string): Promise<SecretRekeyResult> {
  const scopes = env === undefined ? files.scopes() : [env];
  const out: SecretRekeyResult['files'] = [];
  for (const scope of scopes) {
    const r = await files.rekey(scope);
    if (r) out.push({ file: r.file, env: scope, recipients: r.recipients.length });
  }
  return { files: out };
}
