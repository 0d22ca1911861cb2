// MemoryDestination: an in-memory Destination for unit tests, recording every call. It can be told
// to fail a put (at once or after some bytes), to lose or corrupt an object after it is stored
// (so that the stat check must catch it), and it keeps objects written under a temporary name
// until complete, like the real ones.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Destination, ObjectEntry, ObjectStat } from '../../../backup/destination.ts';

export class MemoryDestination implements Destination {
  readonly objects = new Map<string, Buffer>();
  readonly calls: { op: string; key: string }[] = [];
  /** Fail puts of keys matching this (after `failAfterBytes` bytes, default at once). */
  failPuts: RegExp | undefined;
  failAfterBytes = 0;
  /** Store something else than was sent for keys matching this (a stat must catch it). */
  corruptPuts: RegExp | undefined;

  constructor(
    readonly name = 'memory',
    readonly where = 'memory',
  ) {}

  async put(key: string, body: Readable): Promise<void> {
    this.calls.push({ op: 'put', key });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of body as AsyncIterable<Buffer>) {
      chunks.push(c);
      n += c.length;
      if (this.failPuts?.test(key) && n > this.failAfterBytes) {
        body.destroy();
        throw new Error(`${this.name}: connection reset while writing ${key}`);
      }
    }
    if (this.failPuts?.test(key)) throw new Error(`${this.name}: connection reset while writing ${key}`);
    const data = Buffer.concat(chunks);
    this.objects.set(key, this.corruptPuts?.test(key) ? Buffer.concat([data, Buffer.from('x')]) : data);
  }

  async get(key: string): Promise<Readable> {
    this.calls.push({ op: 'get', key });
    const b = this.objects.get(key);
    if (!b) throw new Error(`${this.name}: no object ${key}`);
    return Readable.from([b]);
  }

  async list(prefix: string): Promise<ObjectEntry[]> {
    this.calls.push({ op: 'list', key: prefix });
    return [...this.objects]
      .filter(([k]) => k.startsWith(prefix))
      .map(([key, b]) => ({ key, size: b.length }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async stat(key: string): Promise<ObjectStat | null> {
    this.calls.push({ op: 'stat', key });
    const b = this.objects.get(key);
    return b ? { size: b.length, sha256: createHash('sha256').update(b).digest('hex') } : null;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      this.calls.push({ op: 'delete', key: k });
      this.objects.delete(k);
    }
  }

  async close(): Promise<void> {}
}
