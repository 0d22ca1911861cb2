// Decrypts a SOPS file read by sops-file.ts, as `sops --decrypt` does for age: the data key is
// unwrapped with the operator's age identities (typage), each value is AES-256-GCM with its key
// path (`a:b:`) as additional data (node:crypto), and the file's MAC — SHA-512 over the values in
// file order, itself encrypted with the last-modified time as additional data — is recomputed and
// compared, so a value edited, added, removed or moved is refused. Values come out wrapped in
// Secrets, named by their path joined with "/" (list items by index). Pure.
import { createDecipheriv, createHash } from 'node:crypto';
import { UserError } from '../diag/errors.ts';
import { Secret } from '../util/secret.ts';
import { type AgeIdentities, decryptWith } from './age-crypt.ts';
import type { SopsFile, SopsMetadata, SopsNode } from './sops-file.ts';

/** sops's fixed prefix of the hash when only encrypted values are MACed (sops.go MACOnlyEncryptedInitialization). */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

const ENC = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]/;

export interface SopsEntry {
  /** The key path joined with "/" (list items by index): `db/password`, `hosts/0`. */
  name: string;
  value: Secret;
}

export interface DecryptedSops {
  entries: SopsEntry[];
  /** Values that were null in the file (no value to import). */
  nulls: string[];
  /** True: the MAC was recomputed and matches. */
  macVerified: true;
}

export async function decryptSops(file: SopsFile, ids: AgeIdentities, where: string): Promise<DecryptedSops> {
  const m = file.metadata;
  if (m.unencryptedCommentRegex || m.encryptedCommentRegex)
    throw new UserError(
      `${where} selects values by comments (encrypted_comment_regex / unencrypted_comment_regex), which Slipway cannot read`,
      'decrypt it once with sops and import a file without these rules',
    );
  const key = await dataKey(m, ids, where);
  const hash = createHash('sha512');
  if (m.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const entries: SopsEntry[] = [];
  const nulls: string[] = [];

  const leaf = (value: string | number | boolean | null, path: string[], name: string[]) => {
    if (value === null) {
      nulls.push(name.join('/'));
      return;
    }
    const encrypted = shouldBeEncrypted(m, path);
    let bytes: Buffer;
    let text: string;
    if (encrypted) {
      if (typeof value !== 'string')
        throw new UserError(`${where}: ${name.join('/')} should be encrypted but is a plain ${typeof value}`, 'the file was edited by hand: restore it');
      const d = value === '' ? { bytes: Buffer.alloc(0), type: 'str' } : decryptValue(value, key, `${path.join(':')}:`, where, name.join('/'));
      bytes = d.bytes;
      text = d.type === 'bool' ? bytes.toString('utf8').toLowerCase() : bytes.toString('utf8');
    } else {
      bytes = Buffer.from(macText(value), 'utf8');
      text = typeof value === 'boolean' ? String(value) : macText(value);
    }
    if (!m.macOnlyEncrypted || encrypted) hash.update(bytes);
    entries.push({ name: name.join('/'), value: new Secret(text, name.join('/')) });
  };
  const walk = (n: SopsNode, path: string[], name: string[]) => {
    if (n.kind === 'scalar') leaf(n.value, path, name);
    else if (n.kind === 'map') for (const [k, v] of n.items) walk(v, [...path, k], [...name, k]);
    // A list adds no key to the path sops authenticates; the name carries the index.
    else n.items.forEach((v, i) => walk(v, path, [...name, String(i)]));
  };
  for (const [k, v] of file.tree) walk(v, [k], [k]);

  const computed = hash.digest('hex').toUpperCase();
  const stored = decryptValue(m.mac, key, lastModifiedAad(m.lastModified), where, 'the MAC').bytes.toString('utf8');
  if (stored !== computed)
    throw new UserError(
      `${where}: the MAC does not match its values: the file was changed after sops encrypted it, or is damaged`,
      'restore it from version control, or re-encrypt it with sops',
    );
  return { entries, nulls, macVerified: true };
}

/** The data key: the first age-wrapped copy one of the identities opens. */
async function dataKey(m: SopsMetadata, ids: AgeIdentities, where: string): Promise<Buffer> {
  if (m.keyGroups > 1)
    throw new UserError(`${where} splits its data key over ${m.keyGroups} key groups (Shamir), which Slipway does not support`, 'decrypt it with sops');
  if (m.age.length === 0)
    throw new UserError(
      `${where} has no age key${m.otherKeys.length ? ` (only ${m.otherKeys.join(', ')})` : ''}`,
      'add an age recipient with sops updatekeys (creation_rules in .sops.yaml), then import again',
    );
  const mine = m.age.filter((a) => ids.publicKeys.includes(a.recipient));
  const tryFirst = [...mine, ...m.age.filter((a) => !mine.includes(a))];
  let last: unknown;
  for (const a of tryFirst) {
    try {
      const k = Buffer.from(await decryptWith(a.enc, ids, `the data key of ${where} for ${a.recipient}`, ''));
      if (k.length !== 32) throw new UserError(`${where}: the data key is ${k.length} bytes, not 32`, 'the file is damaged');
      return k;
    } catch (e) {
      last = e;
    }
  }
  if (mine.length === 0)
    throw new UserError(
      `cannot decrypt ${where}: the age identity from ${ids.from} (${ids.publicKeys.join(', ')}) is not one of its recipients (${m.age.map((a) => a.recipient).join(', ')})`,
      'give the identity of one of those recipients with --identity FILE or SLIPWAY_AGE_KEY (SOPS_AGE_KEY_FILE is read too)',
    );
  throw last;
}

function decryptValue(enc: string, key: Buffer, aad: string, where: string, what: string): { bytes: Buffer; type: string } {
  const m = ENC.exec(enc);
  if (!m) throw new UserError(`${where}: ${what} is not a SOPS-encrypted value`, 'the file was edited by hand: restore it');
  try {
    const iv = Buffer.from(m[2]!, 'base64');
    const tag = Buffer.from(m[3]!, 'base64');
    if (tag.length !== 16 || iv.length === 0) throw new Error('bad iv or tag');
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(tag);
    return { bytes: Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]), type: m[4]! };
  } catch {
    throw new UserError(
      `${where}: ${what} does not decrypt (changed, moved to another key, or damaged)`,
      'restore the file from version control, or re-encrypt it with sops',
    );
  }
}

/** sops authenticates the MAC with the last-modified time as Go formats RFC 3339 (no fraction, Z for UTC). */
function lastModifiedAad(t: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/i.exec(t.trim());
  if (!m) return t;
  const zone = m[2]!.toUpperCase();
  return `${m[1]}${zone === '+00:00' || zone === '-00:00' ? 'Z' : zone}`;
}

/** Which values sops encrypted (sops.go shouldBeEncrypted, without the comment rules refused above). */
function shouldBeEncrypted(m: SopsMetadata, path: string[]): boolean {
  let encrypted = true;
  if (m.unencryptedSuffix && path.some((p) => p.endsWith(m.unencryptedSuffix!))) encrypted = false;
  if (m.encryptedSuffix) encrypted = path.some((p) => p.endsWith(m.encryptedSuffix!));
  if (m.unencryptedRegex && path.some((p) => new RegExp(m.unencryptedRegex!).test(p))) encrypted = false;
  if (m.encryptedRegex) encrypted = path.some((p) => new RegExp(m.encryptedRegex!).test(p));
  return encrypted;
}

/** A plain value's bytes as sops hashes them (Go: strconv.Itoa, FormatFloat 'f' -1, "True"/"False"). */
function macText(v: string | number | boolean): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return plainDecimal(v);
}

/** A number without exponent (Go's FormatFloat(v, 'f', -1, 64): shortest digits that round-trip). */
function plainDecimal(v: number): string {
  const s = String(v);
  const e = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!e) return s;
  const [, sign, int, frac = '', exp] = e;
  const digits = int! + frac;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}
