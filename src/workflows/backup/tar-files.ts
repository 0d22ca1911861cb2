// The files of a volume tar as it streams: each regular file's path (below the archive's root
// folder), size and sha256, one entry's bytes in flight at a time. Used while backing a volume up
// (volume-source.ts) and while verifying one (verify-volume.ts).
import { createHash } from 'node:crypto';
import type { Extract } from 'tar-stream';
import type { VolumeFile } from '../../backup/manifest.ts';

/** Lists into `files` every regular file that `ex` reads, with `root/` taken off its path. */
export function listTarFiles(ex: Extract, root: string, files: VolumeFile[]): void {
  const prefix = new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?`);
  ex.on('entry', (header, stream, next) => {
    const h = createHash('sha256');
    let size = 0;
    stream.on('data', (c: unknown) => {
      h.update(c as Buffer);
      size += (c as Buffer).length;
    });
    stream.on('end', () => {
      if (header.type === 'file') {
        const path = header.name.replace(/^\.?\/?/, '').replace(prefix, '');
        if (path) files.push({ path, size, sha256: h.digest('hex') });
      }
      next();
    });
    stream.resume();
  });
}
