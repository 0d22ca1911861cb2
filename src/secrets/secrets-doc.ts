// The plaintext inside an encrypted secrets file: a small JSON document naming its scope (one
// environment, or every environment) and mapping secret names to values. Parsing wraps every value
// in a Secret at once; serializing (just before encryption) is the only place a value of this
// store is unwrapped. Errors name the file, never a value. Pure.
import { UserError } from '../diag/errors.ts';
import { Secret } from '../util/secret.ts';

/** An environment's name, or null for the file every environment reads (`_all.age`). */
export type SecretScope = string | null;

const KIND = 'slipway-secrets';
const VERSION = 1;

interface Doc {
  kind: typeof KIND;
  version: number;
  /** The scope the file was written for: a file copied over another environment's is refused. */
  env: string | null;
  secrets: Record<string, string>;
}

/** The values of a decrypted document, each wrapped; throws when it is not one written for `scope`. */
export function parseSecretsDoc(text: string, scope: SecretScope, where: string): Map<string, Secret> {
  let doc: Partial<Doc>;
  try {
    doc = JSON.parse(text) as Partial<Doc>;
  } catch {
    // JSON.parse's message quotes the text: never shown.
    throw new UserError(`${where} decrypts to something that is not a Slipway secrets document`, 'restore it from version control');
  }
  if (doc?.kind !== KIND || typeof doc.secrets !== 'object' || doc.secrets === null || Array.isArray(doc.secrets))
    throw new UserError(`${where} decrypts to something that is not a Slipway secrets document`, 'restore it from version control');
  if (doc.version !== VERSION)
    throw new UserError(`${where} is version ${String(doc.version)} of the secrets format; this Slipway reads ${VERSION}`, 'upgrade Slipway');
  if ((doc.env ?? null) !== scope)
    throw new UserError(
      `${where} holds the secrets of ${doc.env ? `environment ${doc.env}` : 'every environment'}, not of ${scope ? `environment ${scope}` : 'every environment'}`,
      'a secrets file was copied or renamed: restore the right one from version control',
    );
  const out = new Map<string, Secret>();
  for (const [name, value] of Object.entries(doc.secrets)) {
    if (typeof value !== 'string') throw new UserError(`${where}: secret ${name} is not a string`, 'set it again with slipway secret set');
    out.set(name, new Secret(value, name));
  }
  return out;
}

/** The document for `values` (names sorted, so a re-encryption changes nothing else). */
export function serializeSecretsDoc(scope: SecretScope, values: ReadonlyMap<string, Secret>): string {
  const secrets: Record<string, string> = {};
  for (const name of [...values.keys()].sort()) secrets[name] = values.get(name)!.reveal();
  const doc: Doc = { kind: KIND, version: VERSION, env: scope, secrets };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The file name of a scope inside the secrets folder. Environment names cannot start with "_". */
export function scopeFileName(scope: SecretScope): string {
  return scope === null ? '_all.age' : `${scope}.age`;
}
