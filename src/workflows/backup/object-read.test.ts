import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIdentities } from '../../secrets/age-crypt.ts';
import { MemoryDestination } from './destinations/memory.ts';
import { type ExpectedObject, ObjectCheckError, openObject } from './object-read.ts';
import { encryptStream } from './streams.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const KEY = 'p/prod/20250101T000000Z-abcd/volumes/v.tar.age';
const plain = Buffer.from('x'.repeat(200_000) + 'Grüße');
let identity: string;
let recipient: string;
let d: MemoryDestination;
let expected: ExpectedObject;

beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  const stored = Buffer.concat(await (await encryptStream(Readable.from([plain]), [recipient])).toArray());
  d = new MemoryDestination('local');
  d.objects.set(KEY, stored);
  expected = { key: 'volumes/v.tar.age', size: stored.length, sha256: sha(stored), plainSize: plain.length, plainSha256: sha(plain) };
});

const read = async (ids: string, o = expected, dest = d) =>
  Buffer.concat(
    await (await openObject(dest, KEY, o, await parseIdentities(ids, 'SLIPWAY_AGE_KEY'), { label: 'backup b of prod', recipients: [recipient] })).toArray(),
  );

describe('openObject', () => {
  it('decrypts a stored object whose figures match the manifest', async () => {
    expect((await read(identity)).equals(plain)).toBe(true);
    expect(d.calls.filter((c) => c.key === KEY).map((c) => c.op)).toEqual(['stat', 'get']);
  });

  it('a flipped byte in the stored object: refused before use, naming the object and the destination', async () => {
    const bad = new MemoryDestination('local');
    const b = Buffer.from(d.objects.get(KEY)!);
    b[b.length - 10]! ^= 0xff;
    bad.objects.set(KEY, b);
    const e = await read(identity, expected, bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ObjectCheckError);
    expect((e as Error).message).toMatch(
      /^volumes\/v\.tar\.age in local \(memory\) differs from the manifest: \d+ bytes, sha256 [0-9a-f]{12}…; the manifest says/,
    );
    expect(bad.calls.map((c) => c.op)).toEqual(['stat']);
  });

  it('a plaintext that differs from the manifest fails the stream instead of ending it', async () => {
    await expect(read(identity, { ...expected, plainSha256: sha(Buffer.from('other')) })).rejects.toThrow(
      /^volumes\/v\.tar\.age in local: its decrypted content \(200007 bytes, sha256 [0-9a-f]{12}…\) differs from the manifest/,
    );
  });

  it('a wrong identity: names the key tried and the recipients, says how to give the right one', async () => {
    const other = await generateX25519Identity();
    const e = (await read(other).catch((x: unknown) => x)) as Error & { hint?: string };
    expect(e.message).toBe(
      `cannot decrypt volumes/v.tar.age of backup b of prod (from local): the age identity from SLIPWAY_AGE_KEY (${await identityToRecipient(other)}) is not one of its recipients (${recipient})`,
    );
    expect(e.hint).toMatch(/--identity FILE, SLIPWAY_AGE_IDENTITY_FILE, SLIPWAY_AGE_KEY/);
    expect(e.message).not.toContain(other);
  });
});
