// SOPS files encrypted with age: the three formats sops itself wrote (test/fixtures/sops) decrypt
// to their plaintext with the MAC recomputed; generated files cover unencrypted suffixes and
// mac_only_encrypted; a changed, added or moved value fails the MAC or the value's own tag; a key
// that is not a recipient is a clear error naming the file and the recipients. Never a value in a message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { encodeSops } from '../../test/support/sops-encode.ts';
import { UserError } from '../diag/errors.ts';
import { parseIdentities } from './age-crypt.ts';
import { decryptSops } from './sops-decrypt.ts';
import { parseSopsFile, sopsFormatOf } from './sops-file.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sops');
const fixture = (f: string) => readFileSync(join(FIXTURES, f), 'utf8');
const testKey = () => parseIdentities(fixture('age-test-key.txt'), 'age-test-key.txt');

async function decrypt(text: string, name: string, key?: Awaited<ReturnType<typeof testKey>>) {
  const r = await decryptSops(parseSopsFile(text, sopsFormatOf(name, text), name), key ?? (await testKey()), name);
  return Object.fromEntries(r.entries.map((e) => [e.name, e.value.reveal()]));
}

async function newKey() {
  const id = await generateX25519Identity();
  return { ids: await parseIdentities(id, 'test'), recipient: await identityToRecipient(id) };
}

describe('files written by sops', () => {
  it('YAML, JSON and dotenv decrypt to their plaintext, nested keys joined with "/", the MAC checked', async () => {
    const plain = JSON.parse(fixture('secret.json')) as { complex: { array: string[] } };
    const expected = {
      secret: 'this is a secret',
      string: 'string',
      int: '7',
      float: '3.14',
      boolean: 'true',
      'complex/value': 'this is a secret',
      ...Object.fromEntries(plain.complex.array.map((v, i) => [`complex/array/${i}`, v])),
    };
    expect(await decrypt(fixture('secret.enc.yaml'), 'secret.enc.yaml')).toEqual(expected);
    expect(await decrypt(fixture('secret.enc.json'), 'secret.enc.json')).toEqual({ ...expected, '0word': 'gotta match go' });
    expect(await decrypt(fixture('secret.enc.env'), 'secret.enc.env')).toEqual({ secret: 'this is a secret', another_secret: '7' });
  });

  it('a value changed by hand fails its tag; a value moved to another key fails too', async () => {
    const yaml = fixture('secret.enc.yaml');
    const secretLine = /^secret: (ENC\[.*\])$/m.exec(yaml)![1]!;
    const stringLine = /^string: (ENC\[.*\])$/m.exec(yaml)![1]!;
    // The ciphertext of "secret" under the key "string": its path is authenticated.
    const moved = yaml.replace(`string: ${stringLine}`, `string: ${secretLine}`);
    await expect(decrypt(moved, 'moved.yaml')).rejects.toThrow(/moved.yaml: string does not decrypt/);
    const flipped = yaml.replace(
      secretLine,
      secretLine.replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`),
    );
    await expect(decrypt(flipped, 'flipped.yaml')).rejects.toThrow(/flipped.yaml: secret does not decrypt/);
  });

  it('an unencrypted value changed, or a value removed, fails the MAC', async () => {
    const { ids, recipient } = await newKey();
    const text = await encodeSops(
      { db: { password: 'p4ssw0rd-long-enough', host_unencrypted: 'db.internal' }, token: 'tok-0123456789' },
      { recipients: [recipient], format: 'yaml', unencryptedSuffix: '_unencrypted' },
    );
    expect(await decrypt(text, 'a.yaml', ids)).toEqual({
      'db/password': 'p4ssw0rd-long-enough',
      'db/host_unencrypted': 'db.internal',
      token: 'tok-0123456789',
    });
    const changed = text.replace('host_unencrypted: db.internal', 'host_unencrypted: evil.example');
    await expect(decrypt(changed, 'a.yaml', ids)).rejects.toThrow(/a.yaml: the MAC does not match its values/);
    const removed = text.replace(/^token: .*\n/m, '');
    await expect(decrypt(removed, 'a.yaml', ids)).rejects.toThrow(/the MAC does not match/);
  });
});

describe('generated files', () => {
  it('every format, mac_only_encrypted, several recipients, a multi-line value', async () => {
    const { ids, recipient } = await newKey();
    const other = await newKey();
    const tree = { DATABASE_URL: 'postgres://u:pw-1234567890@db/app', CERT: 'line one\nline two', PORT: 5432, DEBUG: false, RATIO: 0.25 };
    for (const format of ['yaml', 'json'] as const) {
      const text = await encodeSops(tree, { recipients: [other.recipient, recipient], format, macOnlyEncrypted: true });
      expect(await decrypt(text, `x.${format}`, ids)).toEqual({
        DATABASE_URL: tree.DATABASE_URL,
        CERT: tree.CERT,
        PORT: '5432',
        DEBUG: 'false',
        RATIO: '0.25',
      });
    }
    const env = await encodeSops({ DATABASE_URL: tree.DATABASE_URL, CERT: tree.CERT }, { recipients: [recipient], format: 'dotenv' });
    expect(await decrypt(env, 'prod.env', ids)).toEqual({ DATABASE_URL: tree.DATABASE_URL, CERT: tree.CERT });
  });

  it('a key that is not a recipient: an error naming the file, the key tried and the recipients', async () => {
    const { recipient } = await newKey();
    const stranger = await newKey();
    const text = await encodeSops({ token: 'tok-0123456789' }, { recipients: [recipient], format: 'yaml' });
    const err = await decrypt(text, 'prod.enc.yaml', stranger.ids).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(
      `cannot decrypt prod.enc.yaml: the age identity from test (${stranger.recipient}) is not one of its recipients (${recipient})`,
    );
    expect((err as UserError).hint).toMatch(/--identity FILE or SLIPWAY_AGE_KEY/);
    expect(JSON.stringify({ m: (err as Error).message, h: (err as UserError).hint })).not.toContain('tok-0123456789');
  });

  it('refuses what it cannot read faithfully: Shamir key groups, comment rules, a PGP-only file', async () => {
    const { ids, recipient } = await newKey();
    const text = await encodeSops({ token: 'tok-0123456789' }, { recipients: [recipient], format: 'yaml' });
    const withComments = text.replace(/^(\s+)version:/m, '$1encrypted_comment_regex: sops:enc\n$1version:');
    await expect(decrypt(withComments, 'c.yaml', ids)).rejects.toThrow(/selects values by comments/);
    const shamir = text.replace(/^(\s+)age:/m, '$1shamir_threshold: 2\n$1key_groups:\n$1  - age: []\n$1  - age: []\n$1age:');
    await expect(decrypt(shamir, 's.yaml', ids)).rejects.toThrow('s.yaml splits its data key over 2 key groups (Shamir)');
    const pgpOnly = text.replace(/^(\s+)age:[\s\S]*?(?=^\s+lastmodified)/m, '$1pgp:\n$1  - fp: ABCD\n$1    enc: x\n');
    await expect(decrypt(pgpOnly, 'p.yaml', ids)).rejects.toThrow('p.yaml has no age key (only pgp)');
    await expect(decrypt('a: 1\n', 'plain.yaml', ids)).rejects.toThrow('plain.yaml is not a SOPS-encrypted file: it has no "sops" metadata');
  });
});
