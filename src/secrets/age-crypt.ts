// age encryption for the secrets files and SOPS data keys, through typage (npm age-encryption):
// identities parsed from a key file's text (comments and blank lines skipped, never echoed),
// encryption to recipients as ASCII armor, and decryption whose failures say which file, which
// public keys were tried and what to do — never a key or a plaintext. Pure: no file access.
// age-encryption is loaded on first use: most commands (and `serve` at idle) never encrypt.
const ageLib = () => import('age-encryption');
import { UserError } from '../diag/errors.ts';

/** The operator's age identities and where they came from (`--identity ~/.age/key.txt`, `$SLIPWAY_AGE_KEY`…). */
export interface AgeIdentities {
  keys: string[];
  /** Their public keys, to name them in messages. */
  publicKeys: string[];
  from: string;
}

const IDENTITY = /^AGE-SECRET-KEY-(PQ-)?1[0-9A-Z]+$/;

/**
 * The identities in a key file's text (`age-keygen` output: comments, blank lines, one
 * `AGE-SECRET-KEY-1…` per line). A line that is not one is reported by number only.
 */
export async function parseIdentities(text: string, from: string): Promise<AgeIdentities> {
  const keys: string[] = [];
  const bad: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (IDENTITY.test(line)) keys.push(line);
    else bad.push(i + 1);
  });
  const hint = 'an age identity file holds lines such as AGE-SECRET-KEY-1… (made by age-keygen); passphrase-protected and SSH keys are not supported';
  if (bad.length) throw new UserError(`${from}: line ${bad.join(', ')} is not an age identity`, hint);
  if (keys.length === 0) throw new UserError(`${from}: no age identity in it`, hint);
  const publicKeys: string[] = [];
  const { identityToRecipient } = await ageLib();
  for (const [i, k] of keys.entries()) {
    try {
      publicKeys.push(await identityToRecipient(k));
    } catch {
      throw new UserError(`${from}: identity ${i + 1} is not a valid age identity (bad checksum or length)`, hint);
    }
  }
  return { keys, publicKeys, from };
}

/** `text` encrypted to every recipient, ASCII-armored (diffable in git, safe to paste). */
export async function encryptToRecipients(text: string, recipients: readonly string[], where: string): Promise<string> {
  if (recipients.length === 0)
    throw new UserError(`${where}: no recipients to encrypt to`, 'declare age public keys under secrets.recipients in the fleet file');
  const { armor, Encrypter } = await ageLib();
  const e = new Encrypter();
  for (const r of recipients) {
    try {
      e.addRecipient(r);
    } catch {
      throw new UserError(`${where}: ${r} is not a valid age recipient`, 'give the public key printed by age-keygen (age1…)');
    }
  }
  return armor.encode(await e.encrypt(text));
}

/** The age payload of `content` (armored or binary). */
async function ageBytes(content: string | Uint8Array, where: string): Promise<Uint8Array> {
  const { armor } = await ageLib();
  const text = typeof content === 'string' ? content : new TextDecoder('utf-8', { fatal: false }).decode(content.subarray(0, 64));
  const isArmor = text.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----');
  try {
    if (isArmor) return armor.decode(typeof content === 'string' ? content : new TextDecoder().decode(content));
  } catch (e) {
    throw new UserError(`${where} is not a readable age file (${(e as Error).message})`, 'restore it from version control');
  }
  if (typeof content === 'string') return new TextEncoder().encode(content);
  return content;
}

/**
 * Decrypts an age file (armored or binary) with the operator's identities. A file for other
 * recipients, or a damaged one, is a UserError naming `where` and the keys tried.
 */
export async function decryptWith(content: string | Uint8Array, ids: AgeIdentities, where: string, hintIfNotRecipient: string): Promise<Uint8Array> {
  const { Decrypter } = await ageLib();
  const d = new Decrypter();
  for (const k of ids.keys) d.addIdentity(k);
  try {
    return await d.decrypt(await ageBytes(content, where));
  } catch (e) {
    if (e instanceof UserError) throw e;
    const msg = (e as Error).message;
    if (/no identity matched/.test(msg))
      throw new UserError(
        `cannot decrypt ${where}: the age identity from ${ids.from} (${ids.publicKeys.join(', ')}) is not one of its recipients`,
        hintIfNotRecipient,
      );
    throw new UserError(`cannot decrypt ${where}: it is damaged or not an age file (${msg})`, 'restore it from version control');
  }
}
