// The secrets kept in the repository: one age-encrypted file per environment
// (`secrets/{env}.age`) and one every environment reads (`secrets/_all.age`), beside the fleet
// file, each encrypted to the recipients the fleet file declares for it. A file is decrypted in
// memory only, once per command and only when a value is needed; its values are wrapped as
// Secrets at once. Writing re-encrypts the whole file to the current recipients and replaces it
// atomically; plaintext never touches the disk.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Fleet } from '../config/fleet.ts';
import { DEFAULT_SECRETS_DIR } from '../config/secrets-config.ts';
import { UserError } from '../diag/errors.ts';
import { type AgeIdentities, decryptWith, encryptToRecipients } from '../secrets/age-crypt.ts';
import { scopeRecipients } from '../secrets/recipients.ts';
import { checkSecretName, isGeneratedSecret } from '../secrets/secret-names.ts';
import { parseSecretsDoc, type SecretScope, scopeFileName, serializeSecretsDoc } from '../secrets/secrets-doc.ts';
import { requireRedactable, type Secret } from '../util/secret.ts';
import { type IdentityOptions, requireIdentities } from './secrets-file-identity.ts';

export type { SecretScope };

export interface FileWriteResult {
  /** The file, relative to the fleet file's folder (`secrets/prod.age`). */
  file: string;
  recipients: string[];
}

export interface FileSecretNames {
  env: string | null;
  file: string;
  names: string[];
}

export class SecretFiles {
  /** Absolute folder of the files. */
  readonly dir: string;
  #ids: Promise<AgeIdentities> | undefined;
  readonly #docs = new Map<string, Promise<Map<string, Secret> | undefined>>();

  constructor(
    readonly fleet: Fleet,
    readonly identity: IdentityOptions,
  ) {
    this.dir = resolve(dirname(fleet.file), fleet.secrets?.dir ?? DEFAULT_SECRETS_DIR);
  }

  path(scope: SecretScope): string {
    return join(this.dir, scopeFileName(scope));
  }

  /** The file as the user sees it in the repository: relative to the fleet file's folder. */
  label(scope: SecretScope): string {
    return relative(dirname(this.fleet.file), this.path(scope)) || this.path(scope);
  }

  exists(scope: SecretScope): boolean {
    return existsSync(this.path(scope));
  }

  /** Every scope that has a file: the shared one, then the fleet's environments in order. */
  scopes(): SecretScope[] {
    return [null, ...this.fleet.environments.map((e) => e.name)].filter((s) => this.exists(s));
  }

  recipients(scope: SecretScope): string[] {
    return scopeRecipients(this.fleet, scope, this.label(scope));
  }

  /** The decrypted values of a scope's file (undefined when there is none); each file is decrypted once. */
  read(scope: SecretScope): Promise<Map<string, Secret> | undefined> {
    const key = scope ?? '';
    let p = this.#docs.get(key);
    if (!p) {
      p = this.#read(scope);
      this.#docs.set(key, p);
    }
    return p;
  }

  async #read(scope: SecretScope): Promise<Map<string, Secret> | undefined> {
    const path = this.path(scope);
    if (!existsSync(path)) return undefined;
    const where = this.label(scope);
    const ids = await this.#identities(`reading ${where}`);
    const hint = `ask someone who can read it to add your public key (${ids.publicKeys.join(', ')}) to ${
      scope ? `environments.${scope}.secrets.recipients` : 'secrets.recipients'
    } in ${relative(dirname(this.fleet.file), this.fleet.file)} and run "slipway secret rekey${scope ? ` --env ${scope}` : ''}"`;
    const plain = await decryptWith(readFileSync(path), ids, where, hint);
    return parseSecretsDoc(new TextDecoder().decode(plain), scope, where);
  }

  #identities(what: string): Promise<AgeIdentities> {
    this.#ids ??= requireIdentities(this.identity, what).catch((e: unknown) => {
      this.#ids = undefined;
      throw e;
    });
    return this.#ids;
  }

  /** NAME for ENV: the environment's own file first, then the shared one. Generated names are never looked up here. */
  async get(name: string, env?: string): Promise<{ secret: Secret; file: string } | undefined> {
    if (isGeneratedSecret(name)) return undefined;
    for (const scope of env === undefined ? [null] : [env, null]) {
      const s = (await this.read(scope))?.get(name);
      if (s) return { secret: s, file: this.label(scope) };
    }
    return undefined;
  }

  /** Sets NAME in the scope's file (created when absent), re-encrypted to the scope's current recipients. */
  set(name: string, value: Secret, scope: SecretScope): Promise<FileWriteResult> {
    return this.setMany(new Map([[name, value]]), scope);
  }

  /** Sets every value at once (one re-encryption); nothing is written unless all are acceptable. */
  async setMany(values: ReadonlyMap<string, Secret>, scope: SecretScope): Promise<FileWriteResult> {
    for (const name of values.keys()) {
      checkSecretName(name);
      if (isGeneratedSecret(name))
        throw new UserError(`${name} is generated by Slipway and kept on the servers only`, 'choose another name, or use --store server');
    }
    const empty = [...values].filter(([, v]) => v.empty).map(([n]) => n);
    if (empty.length) throw new UserError(`the value of secret ${empty.join(', ')} is empty`, 'give a non-empty value');
    requireRedactable([...values.values()], { envName: scope ?? undefined });
    const recipients = this.recipients(scope);
    const next = new Map(await this.read(scope));
    for (const [n, v] of values) next.set(n, v);
    await this.#write(scope, next, recipients);
    return { file: this.label(scope), recipients };
  }

  /** Removes NAME from the scope's file; false when it was not there. The file stays, possibly empty. */
  async remove(name: string, scope: SecretScope): Promise<FileWriteResult | undefined> {
    checkSecretName(name);
    const values = new Map(await this.read(scope));
    if (!values.delete(name)) return undefined;
    const recipients = this.recipients(scope);
    await this.#write(scope, values, recipients);
    return { file: this.label(scope), recipients };
  }

  /** Re-encrypts the scope's file to the recipients the fleet file declares now. */
  async rekey(scope: SecretScope): Promise<FileWriteResult | undefined> {
    const values = await this.read(scope);
    if (!values) return undefined;
    const recipients = this.recipients(scope);
    await this.#write(scope, new Map(values), recipients);
    return { file: this.label(scope), recipients };
  }

  /** The names in every file (decrypting each). */
  async names(): Promise<FileSecretNames[]> {
    const out: FileSecretNames[] = [];
    for (const scope of this.scopes()) out.push({ env: scope, file: this.label(scope), names: [...((await this.read(scope))?.keys() ?? [])].sort() });
    return out;
  }

  async #write(scope: SecretScope, values: Map<string, Secret>, recipients: string[]): Promise<void> {
    const armored = await encryptToRecipients(serializeSecretsDoc(scope, values), recipients, this.label(scope));
    const path = this.path(scope);
    mkdirSync(dirname(path), { recursive: true });
    // Only ciphertext is written; the rename replaces the file at once (no half-written file).
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, armored, { mode: 0o644 });
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new UserError(
        `cannot write ${this.label(scope)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'check the folder exists and is writable',
      );
    }
    this.#docs.set(scope ?? '', Promise.resolve(values));
  }
}
