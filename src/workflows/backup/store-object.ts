// Stores one object of a backup in every destination still in the running: the source's bytes are
// measured and hashed (plaintext), encrypted with age, measured and hashed again (as stored), and
// fanned out. Then each destination is asked for the object's size and sha256 as it holds it; a
// destination whose copy differs, or whose upload failed, is out for the rest of this backup.
import type { Readable } from 'node:stream';
import type { Destination } from '../../backup/destination.ts';
import type { Reporter } from '../reporter.ts';
import { startProgress } from './progress.ts';
import { encryptStream, type FanOutResult, fanOut, Measure } from './streams.ts';

export interface StoredObject {
  size: number;
  sha256: string;
  plainSize: number;
  plainSha256: string;
}

export interface StoreOutcome {
  stored: StoredObject;
  /** Destinations that failed this object, with the first line of why. */
  failed: { name: string; error: string }[];
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

export async function storeObject(opts: {
  source: Readable;
  recipients: readonly string[];
  key: string;
  destinations: readonly Destination[];
  report: Reporter;
  label: string;
  now: () => number;
  expectedPlainSize?: number;
}): Promise<StoreOutcome> {
  const progress = startProgress(opts.report, opts.label, opts.now, opts.expectedPlainSize);
  const plain = new Measure((n) => progress.update(n));
  const cipher = new Measure();
  opts.source.on('error', (e) => plain.destroy(e));
  opts.source.pipe(plain);
  const encrypted = await encryptStream(plain, opts.recipients);
  encrypted.on('error', (e) => cipher.destroy(e));
  encrypted.pipe(cipher);
  let sourceError: unknown;
  cipher.on('error', (e) => {
    sourceError ??= e;
  });
  let results: FanOutResult[];
  try {
    results = await fanOut(
      cipher,
      opts.destinations.map((d) => ({ name: d.name, put: (body: Readable) => d.put(opts.key, body) })),
    );
  } finally {
    progress.stop();
  }
  // The data could not be read (or encrypted): no destination failed, the backup did.
  if (sourceError !== undefined) throw sourceError;
  const stored: StoredObject = { size: cipher.bytes, sha256: cipher.sha256, plainSize: plain.bytes, plainSha256: plain.sha256 };
  const failed: StoreOutcome['failed'] = results.filter((r) => !r.ok).map((r) => ({ name: r.name, error: firstLine(r.error) }));
  // What each destination holds, checked against what was sent.
  await Promise.all(
    results
      .filter((r) => r.ok)
      .map(async (r) => {
        const d = opts.destinations.find((x) => x.name === r.name)!;
        try {
          const st = await d.stat(opts.key);
          if (!st) failed.push({ name: d.name, error: `${opts.key} is missing after its upload` });
          else if (st.size !== stored.size || st.sha256 !== stored.sha256)
            failed.push({
              name: d.name,
              error: `${opts.key} differs after its upload (${st.size} bytes, sha256 ${st.sha256.slice(0, 12)}…; sent ${stored.size} bytes, ${stored.sha256.slice(0, 12)}…)`,
            });
        } catch (e) {
          failed.push({ name: d.name, error: firstLine(e) });
        }
      }),
  );
  return { stored, failed };
}
