// The `s3` destination: a bucket on S3 or any S3-compatible store, through the AWS SDK v3
// (@aws-sdk/client-s3, and @aws-sdk/lib-storage's multipart Upload: parts of 8 MiB, two in flight,
// so memory stays bounded whatever the dump's size and nothing is written to disk). An object
// appears under its key only when its multipart upload completes; a failed upload is aborted.
// A stat reads the object back and hashes it (S3 has no server-side sha256 of a multipart object).
// The credentials are secrets: they are unwrapped here, for the SDK, and nowhere else.
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Destination, ObjectEntry, ObjectStat } from '../../../backup/destination.ts';
import type { DestinationConfig } from '../../../config/backup-policy.ts';
import type { Secret } from '../../../util/secret.ts';
import { redactSecrets } from '../../../util/secret.ts';
import { hashStream } from '../streams.ts';

type S3Config = Extract<DestinationConfig, { kind: 's3' }>;

const PART_SIZE = 8 * 1024 * 1024;
const QUEUE = 2;

export class S3Destination implements Destination {
  readonly where: string;
  readonly #client: S3Client;
  readonly #secrets: Secret[];

  constructor(
    readonly name: string,
    private readonly config: S3Config,
    credentials: { accessKeyId: Secret; secretAccessKey: Secret },
  ) {
    this.where = `s3 bucket ${config.bucket}${config.endpoint ? ` at ${config.endpoint}` : ''}`;
    this.#secrets = [credentials.accessKeyId, credentials.secretAccessKey];
    // The pinned SDK works on Node 20; its notice that later releases will need Node 22 is not the user's business.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.#client = new S3Client({
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      forcePathStyle: config.forcePathStyle,
      credentials: { accessKeyId: credentials.accessKeyId.reveal(), secretAccessKey: credentials.secretAccessKey.reveal() },
      // Checksums only where S3 requires them: most S3-compatible stores reject the SDK's default
      // trailing CRC32 (aws-chunked) bodies. Integrity is checked by reading back (stat).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  #key(key: string): string {
    if (key.startsWith('/') || key.split('/').includes('..')) throw new Error(`${this.name}: refusing object key ${JSON.stringify(key)}`);
    return `${this.config.prefix}${key}`;
  }

  #fail(op: string, e: unknown): Error {
    const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; code?: string };
    const what = err.message || err.name || err.code || String(e);
    const status = err.$metadata?.httpStatusCode ? ` (HTTP ${err.$metadata.httpStatusCode})` : '';
    return new Error(`${this.name} (${this.where}): ${op} failed: ${redactSecrets(what, this.#secrets)}${status}`);
  }

  async put(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.config.bucket, Key: this.#key(key), Body: body },
      partSize: PART_SIZE,
      queueSize: QUEUE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      body.destroy();
      await upload.abort().catch(() => undefined);
      throw this.#fail(`uploading ${key}`, e);
    }
  }

  async get(key: string): Promise<Readable> {
    try {
      const r = await this.#client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.#key(key) }));
      return r.Body as Readable;
    } catch (e) {
      throw this.#fail(`reading ${key}`, e);
    }
  }

  async list(prefix: string): Promise<ObjectEntry[]> {
    const out: ObjectEntry[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: this.#key(prefix), ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const o of r.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(this.config.prefix.length), size: o.Size ?? 0 });
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw this.#fail(`listing ${prefix}`, e);
    }
    return out.filter((e) => e.key.startsWith(prefix)).sort((a, b) => a.key.localeCompare(b.key));
  }

  async stat(key: string): Promise<ObjectStat | null> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.#key(key) }));
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 || (e as { name?: string }).name === 'NotFound') return null;
      throw this.#fail(`checking ${key}`, e);
    }
    try {
      return await hashStream(await this.get(key));
    } catch (e) {
      throw this.#fail(`reading back ${key}`, e);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      try {
        await this.#client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.#key(k) }));
      } catch (e) {
        throw this.#fail(`deleting ${k}`, e);
      }
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}
