// Reading one object of a backup back, for `backup verify` and `restore`: the stored (encrypted)
// object's size and sha256 are checked against the manifest where it lies (Destination.stat)
// before any of it is used, then it is streamed from the destination, decrypted with the operator's
// age identity, and hashed again on the way (encrypted and plaintext bytes) — bounded memory, never
// a temporary copy. The stream ends only when every figure matched the manifest; otherwise it
// fails with an ObjectCheckError naming the object and the destination, so a consumer never takes a
// damaged object for a good one. A wrong identity is a UserError naming the keys tried and the
// backup's recipients, with how to give the right one.
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Destination } from '../../backup/destination.ts';
import type { ManifestObject } from '../../backup/manifest.ts';
import { UserError } from '../../diag/errors.ts';
import type { AgeIdentities } from '../../secrets/age-crypt.ts';
import { IDENTITY_SOURCES } from '../secrets-file-identity.ts';
import { Measure } from './streams.ts';

/** What the manifest says of an object: enough to check it. */
export type ExpectedObject = Pick<ManifestObject, 'key' | 'size' | 'sha256' | 'plainSize' | 'plainSha256'>;

/** An object that is missing, damaged, or differs from its manifest (exit 1; the message names it and where). */
export class ObjectCheckError extends UserError {
  constructor(
    message: string,
    readonly objectKey: string,
    readonly destination: string,
  ) {
    super(message, `read it from another destination (--from NAME), or take a new backup: slipway backup`);
    this.name = 'ObjectCheckError';
  }
}

const short = (h: string) => `${h.slice(0, 12)}…`;

/** The stored object's size and sha256, as the destination holds it, against the manifest. */
export async function checkStoredObject(d: Destination, fullKey: string, o: ExpectedObject): Promise<void> {
  const st = await d.stat(fullKey);
  if (!st) throw new ObjectCheckError(`${o.key} is missing in ${d.name} (${d.where})`, o.key, d.name);
  if (st.size !== o.size || st.sha256 !== o.sha256)
    throw new ObjectCheckError(
      `${o.key} in ${d.name} (${d.where}) differs from the manifest: ${st.size} bytes, sha256 ${short(st.sha256)}; the manifest says ${o.size} bytes, sha256 ${short(o.sha256)}`,
      o.key,
      d.name,
    );
}

/** The error for an identity that is not one of the backup's recipients (or that cannot decrypt its header). */
export function wrongIdentityError(ids: AgeIdentities, recipients: readonly string[], what: string, cause: string): UserError {
  if (/no identity matched/.test(cause))
    return new UserError(
      `cannot decrypt ${what}: the age identity from ${ids.from} (${ids.publicKeys.join(', ')}) is not one of its recipients (${recipients.join(', ') || 'none listed'})`,
      `give the private key of one of those recipients with ${IDENTITY_SOURCES}`,
    );
  return new UserError(`cannot decrypt ${what}: its header does not open (${cause})`, 'the object is damaged: read it from another destination (--from NAME)');
}

/** Passes the plaintext through, hashing it; fails at the end (before 'end') unless both the stored and the plaintext figures match. */
class ManifestCheck extends Transform {
  #bytes = 0;
  readonly #hash: Hash = createHash('sha256');
  constructor(
    private readonly o: ExpectedObject,
    private readonly cipher: Measure,
    private readonly where: { destination: string; label: string },
    private readonly onBytes?: (plainBytes: number) => void,
  ) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#bytes += chunk.length;
    this.#hash.update(chunk);
    this.onBytes?.(this.#bytes);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const { o, cipher } = this;
    const plain = { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
    const bad =
      cipher.bytes !== o.size || cipher.sha256 !== o.sha256
        ? `the stored bytes read back (${cipher.bytes} bytes, sha256 ${short(cipher.sha256)}) differ from the manifest (${o.size} bytes, ${short(o.sha256)})`
        : plain.bytes !== o.plainSize || plain.sha256 !== o.plainSha256
          ? `its decrypted content (${plain.bytes} bytes, sha256 ${short(plain.sha256)}) differs from the manifest (${o.plainSize} bytes, ${short(o.plainSha256)})`
          : undefined;
    cb(bad ? new ObjectCheckError(`${o.key} in ${this.where.destination}: ${bad}`, o.key, this.where.destination) : null);
  }
}

export interface OpenObjectOptions {
  /** For messages: `backup 20250101T030000Z-1a2b of prod`. */
  label: string;
  /** The backup's recipients (manifest), named when the identity is not one of them. */
  recipients: readonly string[];
  /** Skip the stat before reading (the caller has just checked it). */
  skipStat?: boolean;
  onBytes?: (plainBytes: number) => void;
}

/**
 * The decrypted content of an object, checked: stat against the manifest first, then the stream,
 * which errors (ObjectCheckError) instead of ending when what was read differs from the manifest.
 * Rejects at once for a wrong identity or a missing/different object. The caller must consume or destroy it.
 */
export async function openObject(d: Destination, fullKey: string, o: ExpectedObject, ids: AgeIdentities, opts: OpenObjectOptions): Promise<Readable> {
  if (!opts.skipStat) await checkStoredObject(d, fullKey, o);
  const raw = await d.get(fullKey);
  const cipher = new Measure();
  let readError: Error | undefined;
  raw.on('error', (e) => {
    readError ??= e;
    cipher.destroy(e);
  });
  raw.pipe(cipher);
  const { Decrypter } = await import('age-encryption');
  const dec = new Decrypter();
  for (const k of ids.keys) dec.addIdentity(k);
  let web: ReadableStream<Uint8Array>;
  try {
    web = (await dec.decrypt(Readable.toWeb(cipher) as unknown as ReadableStream<Uint8Array>)) as ReadableStream<Uint8Array>;
  } catch (e) {
    raw.destroy();
    cipher.destroy();
    throw wrongIdentityError(ids, opts.recipients, `${o.key} of ${opts.label} (from ${d.name})`, (e as Error).message);
  }
  const plain = Readable.fromWeb(web as unknown as WebReadableStream<Uint8Array>, { highWaterMark: 1024 * 1024 });
  const check = new ManifestCheck(o, cipher, { destination: d.name, label: opts.label }, opts.onBytes);
  plain.on('error', (e) =>
    check.destroy(
      readError
        ? new UserError(
            `reading ${o.key} from ${d.name} (${d.where}) failed: ${readError.message.split('\n')[0]}`,
            'check that the destination is reachable, or read from another one (--from NAME)',
          )
        : new ObjectCheckError(`${o.key} in ${d.name} (${d.where}) does not decrypt: it is damaged (${(e as Error).message})`, o.key, d.name),
    ),
  );
  check.on('close', () => {
    if (!plain.readableEnded) plain.destroy();
    if (!raw.readableEnded) raw.destroy();
  });
  plain.pipe(check);
  return check;
}
