// A volume object checked against its manifest: the decrypted tar (the engine's own archive of the
// volume's root, `data/…`) is read entry by entry as it streams (tar-stream, one file's bytes in
// flight at a time) and every file's path, size and sha256 compared with the manifest's list. A
// mismatch names the file. No container is needed: the archive is the volume's content, and the
// Docker engine's extraction of it is not what a backup can get wrong.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { listTarFiles } from './tar-files.ts';
import type { VolumeFile } from '../../backup/manifest.ts';

const ROOT = 'data';

/** Every regular file of a volume tar, with its size and sha256 (sorted by path). */
export async function filesOfTar(tar: Readable): Promise<VolumeFile[]> {
  const files: VolumeFile[] = [];
  const ex = tarExtract();
  listTarFiles(ex, ROOT, files);
  await pipeline(tar, ex);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

/** What differs between the manifest's files and the restored ones, one line per file. */
export function compareFiles(expected: readonly VolumeFile[], actual: readonly VolumeFile[]): string[] {
  const got = new Map(actual.map((f) => [f.path, f]));
  const out: string[] = [];
  for (const e of expected) {
    const a = got.get(e.path);
    if (!a) out.push(`file ${e.path}: missing`);
    else if (a.size !== e.size) out.push(`file ${e.path}: ${a.size} bytes, expected ${e.size}`);
    else if (a.sha256 !== e.sha256) out.push(`file ${e.path}: content differs (sha256 ${a.sha256.slice(0, 12)}…, expected ${e.sha256.slice(0, 12)}…)`);
    got.delete(e.path);
  }
  for (const p of got.keys()) out.push(`file ${p}: not in the manifest`);
  return out;
}
