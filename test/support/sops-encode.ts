// Test-only SOPS encoder: writes files as `sops --encrypt --age` does (the `sops` binary is not in
// Debian bookworm), following the SOPS format — a random 32-byte data key wrapped with age for each
// recipient, every value AES-256-GCM with a 32-byte IV and its key path `a:b:` as additional data,
// typed str/int/float/bool, and the MAC (SHA-512 over the values in order, upper-case hex)
// encrypted with the last-modified time as additional data. Real sops output is checked by the
// fixtures in test/fixtures/sops (see SOURCE.md there); this covers what they do not (suffixes,
// mac_only_encrypted, tampering).
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { armor, Encrypter } from 'age-encryption';
import { stringify } from 'yaml';

export type Plain = string | number | boolean | null | Plain[] | { [k: string]: Plain };

export interface EncodeOptions {
  recipients: string[];
  format: 'yaml' | 'json' | 'dotenv';
  unencryptedSuffix?: string;
  macOnlyEncrypted?: boolean;
  lastModified?: string;
}

const MAC_ONLY_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

function gcm(plain: Buffer, key: Buffer, aad: string, type: string): string {
  const iv = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(plain), c.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${type}]`;
}

const typeOf = (v: string | number | boolean) => (typeof v === 'string' ? 'str' : typeof v === 'boolean' ? 'bool' : Number.isInteger(v) ? 'int' : 'float');
const bytesOf = (v: string | number | boolean) => Buffer.from(typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));

export async function encodeSops(tree: { [k: string]: Plain }, o: EncodeOptions): Promise<string> {
  const key = randomBytes(32);
  const hash = createHash('sha512');
  if (o.macOnlyEncrypted) hash.update(MAC_ONLY_INIT);
  const encrypt = (v: Plain, path: string[]): Plain => {
    if (v === null) return null;
    if (Array.isArray(v)) return v.map((x) => encrypt(x, path));
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encrypt(x, [...path, k])]));
    const encrypted = !(o.unencryptedSuffix && path.some((p) => p.endsWith(o.unencryptedSuffix!)));
    if (!o.macOnlyEncrypted || encrypted) hash.update(bytesOf(v));
    if (!encrypted || v === '') return v;
    return gcm(bytesOf(v), key, `${path.join(':')}:`, typeOf(v));
  };
  const body = Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, encrypt(v, [k])]));
  const lastmodified = o.lastModified ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const age = [];
  for (const r of o.recipients) {
    const e = new Encrypter();
    e.addRecipient(r);
    age.push({ recipient: r, enc: armor.encode(await e.encrypt(key)) });
  }
  const sops: { [k: string]: Plain } = {
    age,
    lastmodified,
    mac: gcm(Buffer.from(hash.digest('hex').toUpperCase()), key, lastmodified, 'str'),
    ...(o.unencryptedSuffix ? { unencrypted_suffix: o.unencryptedSuffix } : {}),
    ...(o.macOnlyEncrypted ? { mac_only_encrypted: true } : {}),
    version: '3.9.0',
  };
  if (o.format === 'yaml') return stringify({ ...body, sops });
  if (o.format === 'json') return `${JSON.stringify({ ...body, sops }, null, 4)}\n`;
  const lines = Object.entries(body).map(([k, v]) => `${k}=${String(v).replaceAll('\n', '\\n')}`);
  age.forEach((a, i) => lines.push(`sops_age__list_${i}__map_enc=${a.enc.replaceAll('\n', '\\n')}`, `sops_age__list_${i}__map_recipient=${a.recipient}`));
  for (const [k, v] of Object.entries(sops)) if (k !== 'age') lines.push(`sops_${k}=${String(v)}`);
  return `${lines.join('\n')}\n`;
}
