// What a compose bind mount is, and so what Slipway does with it (docs/compose-keys.md, "Bind
// mounts"). The rule, in order:
//   1. an absolute or `~` source is a host path (`/var/run/docker.sock`, `/etc/localtime`): bound
//      as it is, on whichever server runs the container;
//   2. a folder of the repository mounted over the image's code is a development mount
//      (`.:/code`, `./backend:/app`, `./src:/usr/src/app`): left out, the code comes from the
//      image. A folder is over the code when its target is the service's working_dir or a usual
//      code path (CODE_PATHS), or when it is the service's build context or contains it and its
//      target is not a configuration directory (under /etc: `./sentry:/etc/sentry` ships);
//   3. a source missing from the repository: a name with an extension (`./mongo-init.js`) is a file
//      nobody committed (left out); anything else is a directory compose would create empty, so a
//      data directory (`./postgres14`, `./redis`): it becomes a named volume, per environment;
//   4. any other file or folder of the repository is shipped: one copy per environment,
//      content-addressed, bound read-only where the compose file says `ro`.
// The working tree is read here (at load time) for the digest `plan` compares; a deploy ships the
// deployed commit's content (workflows/files-source.ts).
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type TreeEntry, treeDigest } from '../../model/file-digest.ts';

/** What a path of the working tree holds; `digest` for files and folders (model/file-digest.ts). */
export interface SourceInfo {
  type: 'file' | 'dir' | 'missing' | 'other';
  digest?: string;
}

/** Reads what a repository path holds (the working tree by default; tests give their own). */
export type SourceReader = (absPath: string) => SourceInfo;

/** Where containers usually keep their code: a folder mounted exactly there replaces the image's code. */
export const CODE_PATHS: ReadonlySet<string> = new Set([
  '/app',
  '/code',
  '/src',
  '/usr/src',
  '/usr/src/app',
  '/usr/app',
  '/var/www',
  '/var/www/html',
  '/srv',
  '/srv/app',
  '/opt/app',
  '/home/app',
  '/home/node/app',
  '/workspace',
  '/workdir',
  '/project',
  '/application',
]);

export type BindClass =
  | { kind: 'host' }
  | { kind: 'dev'; why: string }
  | { kind: 'missing-file' }
  | { kind: 'data'; volume: string }
  | { kind: 'other' }
  | { kind: 'repo'; type: 'file' | 'dir'; digest?: string };

export interface BindInput {
  /** As written in the compose file. */
  source: string;
  target: string;
  /** Directory of the first compose file: relative sources are relative to it. */
  composeDir: string;
  /** Absolute build context of the service, if it builds one. */
  buildContext?: string;
  workingDir?: string;
}

export function classifyBind(b: BindInput, read: SourceReader): BindClass {
  if (isHostPath(b.source)) return { kind: 'host' };
  const abs = resolve(b.composeDir, b.source);
  const info = read(abs);
  if (info.type === 'dir') {
    const target = trimSlash(b.target);
    if (b.workingDir !== undefined && trimSlash(b.workingDir) === target) return { kind: 'dev', why: `${target} is the working_dir` };
    if (CODE_PATHS.has(target)) return { kind: 'dev', why: `${target} is where the image keeps its code` };
    if (b.buildContext !== undefined && contains(abs, b.buildContext) && !isConfigDir(target))
      return { kind: 'dev', why: abs === resolve(b.buildContext) ? 'it is the build context' : 'it contains the build context' };
  }
  if (info.type === 'missing') return looksLikeFile(basename(abs)) ? { kind: 'missing-file' } : { kind: 'data', volume: volumeName(b.source) };
  if (info.type === 'other') return { kind: 'other' };
  return info.digest === undefined ? { kind: 'repo', type: info.type } : { kind: 'repo', type: info.type, digest: info.digest };
}

export function isHostPath(source: string): boolean {
  return isAbsolute(source) || source.startsWith('~');
}

/** The named volume a missing data directory becomes: `./postgres14` → `postgres14`, `./public/system` → `public-system`. */
export function volumeName(source: string): string {
  const name = source
    .replace(/^(\.\.?\/)+/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return name || 'data';
}

/** `init.js`, `nginx.conf`, `cert.pem`: a name with an extension (not a dotfile, not a `conf.d` folder). */
const looksLikeFile = (name: string): boolean => /^[^.].*\.[A-Za-z0-9]{1,8}$/.test(name) && !name.endsWith('.d');

/** Where configuration lives, never code: `/etc/…`, `/usr/local/etc/…`. */
const isConfigDir = (target: string): boolean => /^\/(usr\/local\/)?etc(\/|$)/.test(target);

const trimSlash = (p: string): string => (p.length > 1 ? p.replace(/\/+$/, '') : p);

/** True when `outer` is `inner` or one of its parents. */
function contains(outer: string, inner: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The working tree, each path read once per reader (a fleet load reads each source once for all environments). */
export function workingTreeReader(): SourceReader {
  const seen = new Map<string, SourceInfo>();
  return (abs) => {
    let info = seen.get(abs);
    if (!info) {
      info = readWorkingTree(abs);
      seen.set(abs, info);
    }
    return info;
  };
}

function readWorkingTree(abs: string): SourceInfo {
  const c = workingTreeContent(abs);
  return c.type === 'file' || c.type === 'dir' ? { type: c.type, digest: treeDigest(c.type, c.entries) } : { type: c.type };
}

/** A file or folder of the working tree with its entries (what a deploy ships when it has no commit to ship from). */
export function workingTreeContent(abs: string): { type: 'file' | 'dir'; entries: TreeEntry[] } | { type: 'missing' | 'other' } {
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch {
    return { type: 'missing' };
  }
  if (st.isFile()) return { type: 'file', entries: [fileEntry(abs, '', st)] };
  if (st.isDirectory()) return { type: 'dir', entries: walk(abs, '') };
  return { type: 'other' };
}

function fileEntry(abs: string, path: string, st: Stats): TreeEntry {
  return { path, kind: 'file', executable: (st.mode & 0o111) !== 0, content: readFileSync(abs) };
}

/** Files and symlinks under a folder (`.git` left out, as git archive would). */
function walk(root: string, prefix: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const name of readdirSync(join(root, prefix)).sort()) {
    if (name === '.git') continue;
    const rel = prefix ? `${prefix}/${name}` : name;
    const abs = join(root, rel);
    const st = lstatSync(abs);
    if (st.isDirectory()) out.push(...walk(root, rel));
    else if (st.isFile()) out.push(fileEntry(abs, rel.split(sep).join('/'), st));
    else if (st.isSymbolicLink()) out.push({ path: rel, kind: 'symlink', executable: false, content: readlinkSync(abs) });
  }
  return out;
}
