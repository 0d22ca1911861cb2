// Stream pieces of a backup, each with bounded memory: a pass-through that counts and hashes
// (sha256) what flows, age encryption of a stream (typage, web streams bridged to Node's), and a
// fan-out that feeds one stream to several destinations at the pace of the slowest, where a
// destination that fails is dropped without stopping the others.
import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Counts and hashes the bytes that pass through. */
export class Measure extends Transform {
  bytes = 0;
  readonly #hash: Hash = createHash('sha256');
  #digest: string | undefined;
  constructor(private readonly onBytes?: (total: number) => void) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.#hash.update(chunk);
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }
  /** The sha256 (hex) of everything that passed; only once the stream has ended. */
  get sha256(): string {
    this.#digest ??= this.#hash.digest('hex');
    return this.#digest;
  }
}

/** sha256 (hex) and size of a whole stream, consuming it. */
export async function hashStream(s: Readable): Promise<{ size: number; sha256: string }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of s as AsyncIterable<Buffer>) {
    size += c.length;
    h.update(c);
  }
  return { size, sha256: h.digest('hex') };
}

/** `input` encrypted with age to every recipient (binary age format), as a stream. */
export async function encryptStream(input: Readable, recipients: readonly string[]): Promise<Readable> {
  const { Encrypter } = await import('age-encryption');
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  const web = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>;
  const out = await e.encrypt(web);
  return Readable.fromWeb(out as unknown as WebReadableStream<Uint8Array>, { highWaterMark: 1024 * 1024 });
}

export interface FanOutSink {
  name: string;
  /** Consumes the stream it is given; rejects when the destination fails. */
  put(body: Readable): Promise<void>;
}

export interface FanOutResult {
  name: string;
  ok: boolean;
  error?: unknown;
}

/**
 * Feeds `source` to every sink at the pace of the slowest. A sink that fails is dropped (its
 * stream destroyed) and the others go on; when every sink has failed the source is destroyed too.
 * Resolves once the source has ended (or failed) and every sink has settled.
 */
export function fanOut(source: Readable, sinks: readonly FanOutSink[]): Promise<FanOutResult[]> {
  return new Promise((resolve) => {
    const live = new Map<string, PassThrough>();
    const results = new Map<string, FanOutResult>();
    let sourceError: unknown;
    let sourceDone = false;
    const settled: Promise<void>[] = [];
    let waiting = 0;
    const resumeIfDrained = () => {
      if (waiting === 0 && source.isPaused()) source.resume();
    };
    const drop = (name: string, error: unknown) => {
      const p = live.get(name);
      if (!p) return;
      live.delete(name);
      if ((p as PassThrough & { _waiting?: boolean })._waiting) waiting--;
      p.destroy();
      results.set(name, { name, ok: false, error });
      if (live.size === 0 && !sourceDone) source.destroy();
      resumeIfDrained();
    };
    for (const s of sinks) {
      const p = new PassThrough({ highWaterMark: 1024 * 1024 });
      live.set(s.name, p);
      settled.push(
        s.put(p).then(
          () => {
            if (!results.has(s.name))
              results.set(s.name, sourceError === undefined ? { name: s.name, ok: true } : { name: s.name, ok: false, error: sourceError });
            live.delete(s.name);
          },
          (e) => drop(s.name, e),
        ),
      );
    }
    source.on('data', (chunk: Buffer) => {
      for (const p of live.values()) {
        if (!p.write(chunk)) {
          const w = p as PassThrough & { _waiting?: boolean };
          if (!w._waiting) {
            w._waiting = true;
            waiting++;
            p.once('drain', () => {
              if (!w._waiting) return;
              w._waiting = false;
              waiting--;
              resumeIfDrained();
            });
          }
        }
      }
      if (waiting > 0) source.pause();
    });
    const finish = () => {
      sourceDone = true;
      for (const p of live.values()) {
        if (sourceError === undefined) p.end();
        else p.destroy(sourceError as Error);
      }
      void Promise.allSettled(settled).then(() =>
        resolve(
          sinks.map((s) => {
            const r = results.get(s.name);
            if (sourceError !== undefined && (!r || r.ok)) return { name: s.name, ok: false, error: sourceError };
            return r ?? { name: s.name, ok: false, error: new Error('no result') };
          }),
        ),
      );
    };
    source.once('end', finish);
    source.once('error', (e) => {
      sourceError = e;
      finish();
    });
    source.once('close', () => {
      if (!sourceDone) {
        sourceError ??= new Error('the source stopped before its end');
        finish();
      }
    });
  });
}
