// Tar archives of a few in-memory files, written and read with tar-stream: build contexts, files
// copied into containers with putArchive, and archives read back with getArchive. Not for large
// trees (everything is held in memory).
import { extract, pack, type Header } from 'tar-stream';

export interface TarEntry {
  /** Relative path, `/`-separated, e.g. `Dockerfile` or `etc/app/config.json`. */
  path: string;
  content: string | Buffer;
  /** Octal permission bits; 0o644 by default (0o755 for directories). */
  mode?: number;
  /** Seconds since the epoch; 0 by default so archives are reproducible. */
  mtime?: number;
  /** `dir` writes a directory entry (content ignored), e.g. to set a directory's mode; `symlink` one whose content is its target. */
  type?: 'file' | 'dir' | 'symlink';
  /** Owner; root (0) by default. */
  uid?: number;
  gid?: number;
}

export interface TarReadEntry {
  path: string;
  /** `file`, `dir`, `symlink`, or `other`. */
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  content: Buffer;
  linkname: string;
}

/** The header and body of one entry; throws on a path that is empty or leaves the archive root. */
function toHeader(e: TarEntry): { header: Header; body: Buffer } {
  const path = e.path.replace(/^\.?\/+/, '');
  if (!path || path.split('/').includes('..')) throw new Error(`tar: bad path: ${e.path}`);
  const uid = e.uid ?? 0;
  const gid = e.gid ?? 0;
  const common = {
    uid,
    gid,
    uname: uid === 0 ? 'root' : '',
    gname: gid === 0 ? 'root' : '',
    mtime: new Date((e.mtime ?? 0) * 1000),
    linkname: '',
    devmajor: 0,
    devminor: 0,
  };
  if (e.type === 'symlink')
    return { header: { ...common, name: path, type: 'symlink', mode: 0o777, size: 0, linkname: String(e.content) }, body: Buffer.alloc(0) };
  if (e.type === 'dir') {
    return { header: { ...common, name: path.endsWith('/') ? path : `${path}/`, type: 'directory', mode: e.mode ?? 0o755, size: 0 }, body: Buffer.alloc(0) };
  }
  const body = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content;
  return { header: { ...common, name: path, type: 'file', mode: e.mode ?? 0o644, size: body.length }, body };
}

/** Packs entries into an uncompressed tar archive. Parent directories are implied. */
export async function packTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const items = entries.map(toHeader); // every path is checked before anything is written
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const { header, body } of items) p.entry(header, body);
  p.finalize();
  await collected;
  return Buffer.concat(chunks);
}

function typeOf(h: Header): TarReadEntry['type'] {
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    default:
      return 'other';
  }
}

/** Reads every entry of an uncompressed tar archive (ustar, GNU long names and PAX headers included). */
export async function unpackTar(buf: Buffer): Promise<TarReadEntry[]> {
  const x = extract();
  const out: TarReadEntry[] = [];
  const reading = (async () => {
    for await (const entry of x) {
      const parts: Buffer[] = [];
      for await (const c of entry) parts.push(c as Buffer);
      const h = entry.header;
      out.push({ path: h.name, type: typeOf(h), mode: h.mode ?? 0, content: Buffer.concat(parts), linkname: h.linkname ?? '' });
    }
  })();
  x.end(buf);
  await reading;
  return out;
}
