// A tiny ustar writer and reader for a few in-memory files: build contexts, files copied into
// containers with putArchive, and archives read back with getArchive. Not for large trees.

export interface TarEntry {
  /** Relative path, `/`-separated, e.g. `Dockerfile` or `etc/app/config.json`. */
  path: string;
  content: string | Buffer;
  /** Octal permission bits; 0o644 by default. */
  mode?: number;
  /** Seconds since the epoch; 0 by default so archives are reproducible. */
  mtime?: number;
  /** `dir` writes a directory entry (content ignored), e.g. to set a directory's mode. */
  type?: 'file' | 'dir';
}

export interface TarReadEntry {
  path: string;
  /** `file`, `dir`, `symlink`, or `other`. */
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  content: Buffer;
  linkname: string;
}

const BLOCK = 512;

function writeString(buf: Buffer, s: string, off: number, len: number): void {
  const b = Buffer.from(s, 'utf8');
  if (b.length > len) throw new Error(`tar: field too long: ${s}`);
  b.copy(buf, off);
}

function writeOctal(buf: Buffer, n: number, off: number, len: number): void {
  const s = n.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new Error(`tar: number too large: ${n}`);
  writeString(buf, s + '\0', off, len);
}

/** Split a long path into ustar's prefix (≤155 bytes) and name (≤100 bytes). */
function splitPath(path: string): [prefix: string, name: string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return [prefix, name];
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(path: string, size: number, mode: number, mtime: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(BLOCK);
  const [prefix, name] = splitPath(path);
  writeString(h, name, 0, 100);
  writeOctal(h, mode, 100, 8);
  writeOctal(h, 0, 108, 8); // uid
  writeOctal(h, 0, 116, 8); // gid
  writeOctal(h, size, 124, 12);
  writeOctal(h, mtime, 136, 12);
  h.fill(' ', 148, 156); // checksum placeholder
  writeString(h, type, 156, 1);
  writeString(h, 'ustar\0', 257, 6);
  writeString(h, '00', 263, 2);
  writeString(h, 'root', 265, 32);
  writeString(h, 'root', 297, 32);
  writeString(h, prefix, 345, 155);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** Pack entries into an uncompressed ustar archive. Parent directories are implied. */
export function packTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const path = e.path.replace(/^\.?\/+/, '');
    if (!path || path.split('/').includes('..')) throw new Error(`tar: bad path: ${e.path}`);
    if (e.type === 'dir') {
      parts.push(header(path.endsWith('/') ? path : `${path}/`, 0, e.mode ?? 0o755, e.mtime ?? 0, '5'));
      continue;
    }
    const body = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content;
    parts.push(header(path, body.length, e.mode ?? 0o644, e.mtime ?? 0, '0'));
    parts.push(body);
    const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

function readString(buf: Buffer, off: number, len: number): string {
  const slice = buf.subarray(off, off + len);
  const nul = slice.indexOf(0);
  return slice.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function readOctal(buf: Buffer, off: number, len: number): number {
  const s = readString(buf, off, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < body.length) {
    const sp = body.indexOf(0x20, off);
    if (sp === -1) break;
    const len = parseInt(body.subarray(off, sp).toString('utf8'), 10);
    if (!len) break;
    const record = body.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    off += len;
  }
  return out;
}

/** Read every entry of an uncompressed tar (ustar, with GNU long names and PAX paths). */
export function unpackTar(buf: Buffer): TarReadEntry[] {
  const out: TarReadEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  let pax: Record<string, string> = {};
  while (off + BLOCK <= buf.length) {
    const h = buf.subarray(off, off + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = readOctal(h, 124, 12);
    const typeflag = String.fromCharCode(h[156] ?? 0x30);
    const content = buf.subarray(off + BLOCK, off + BLOCK + size);
    off += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L') {
      longName = readString(content, 0, content.length);
      continue;
    }
    if (typeflag === 'x') {
      pax = parsePax(content);
      continue;
    }
    if (typeflag === 'g') continue;
    const prefix = readString(h, 345, 155);
    const name = readString(h, 0, 100);
    const path = pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name);
    const linkname = pax.linkpath ?? readString(h, 157, 100);
    const type = typeflag === '0' || typeflag === '\0' ? 'file' : typeflag === '5' ? 'dir' : typeflag === '2' ? 'symlink' : 'other';
    out.push({ path, type, mode: readOctal(h, 100, 8), content: Buffer.from(content), linkname });
    longName = undefined;
    pax = {};
  }
  return out;
}
