// Helpers for the backup integration tests: reading a project's backup destinations directly
// through the Destination adapters (local volume, SFTP on hostB, the test S3 server), decrypting
// an object with the test's age identity, and restoring a dump into a throwaway Postgres to
// compare its tables with the manifest.
import { execFileSync, spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Decrypter } from 'age-encryption';
import { MANIFEST_KEY, objectKey } from '../../src/backup/layout.ts';
import { type BackupManifest, parseManifest } from '../../src/backup/manifest.ts';
import type { Destination } from '../../src/backup/destination.ts';

/** The stored bytes of an object. */
export async function readAll(d: Destination, key: string): Promise<Buffer> {
  return Buffer.concat(await (await d.get(key)).toArray());
}

export async function manifestOf(d: Destination, project: string, env: string, id: string): Promise<BackupManifest> {
  const key = objectKey(project, env, id, MANIFEST_KEY);
  return parseManifest((await readAll(d, key)).toString('utf8'), `${d.name}:${key}`);
}

/** Decrypts age bytes with an identity (AGE-SECRET-KEY-1…). */
export async function decrypt(identity: string, data: Buffer): Promise<Buffer> {
  const d = new Decrypter();
  d.addIdentity(identity);
  const out = await d.decrypt(Readable.toWeb(Readable.from([data])) as unknown as ReadableStream<Uint8Array>);
  return Buffer.concat(await Readable.fromWeb(out as unknown as WebReadableStream<Uint8Array>).toArray());
}

/** Runs `psql -X -A -t` as postgres in a container, with `sql` on stdin. */
export function psqlIn(container: string, db: string, sql: string): string {
  return execFileSync('docker', ['exec', '-i', '-u', 'postgres', container, 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', db], {
    input: sql,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

/** pg_restore of a custom-format dump (stdin) into `db` of a container. */
export function pgRestore(container: string, db: string, dump: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('docker', ['exec', '-i', '-u', 'postgres', container, 'pg_restore', '--no-owner', '--no-privileges', '--exit-on-error', '-d', db], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pg_restore exited ${code}: ${err}`))));
    c.stdin.end(dump);
  });
}
