// Where shipped repository content comes from (docs/compose-keys.md, "Bind mounts"):
// - files and folders of the repository (compose binds, file-based configs) come from the commit
//   being deployed, read with `git archive` — never the working tree: the config file that ships
//   is the committed one, from the same commit as the image;
// - a deploy of a prebuilt image (`--image`, no commit) reads the working tree instead, and says so;
// - secrets always come from the working tree (or wherever the deploy runs from, such as CI): they
//   are not meant to be committed.
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { workingTreeContent } from '../config/compose/bind-sources.ts';
import { UserError } from '../diag/errors.ts';
import { unpackTar } from '../engine/tar.ts';
import { type TreeEntry, treeDigest } from '../model/file-digest.ts';

export interface SourceContent {
  type: 'file' | 'dir';
  entries: TreeEntry[];
  digest: string;
}

export interface ContentOrigin {
  /** Directory of the fleet file: bind sources are relative to it. */
  fleetDir: string;
  /** Commit to read from; absent: the working tree. */
  sha?: string;
}

function git(cwd: string, args: string[]): Promise<{ stdout: Buffer; stderr: string; code: number }> {
  return new Promise((done) => {
    execFile('git', ['-C', cwd, ...args], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ stdout, stderr: stderr.toString('utf8'), code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
  });
}

/** The content of each source (paths relative to the fleet file), from the commit or the working tree. */
export async function readSources(origin: ContentOrigin, sources: readonly { source: string; secret: boolean }[]): Promise<Map<string, SourceContent>> {
  const out = new Map<string, SourceContent>();
  const fromGit = sources.filter((s) => !s.secret && origin.sha !== undefined);
  const top = fromGit.length > 0 ? await toplevel(origin.fleetDir) : '';
  await Promise.all(
    sources.map(async (s) => {
      const c = !s.secret && origin.sha !== undefined ? await fromCommit(top, origin, s.source) : fromWorkingTree(origin.fleetDir, s);
      out.set(s.source, { ...c, digest: treeDigest(c.type, c.entries) });
    }),
  );
  return out;
}

async function toplevel(fleetDir: string): Promise<string> {
  const r = await git(fleetDir, ['rev-parse', '--show-toplevel']);
  if (r.code !== 0)
    throw new UserError(`${fleetDir} is not in a git repository`, 'bind-mounted files are shipped from the deployed commit: deploy from a git repository');
  return r.stdout.toString('utf8').trim();
}

async function fromCommit(top: string, origin: ContentOrigin, source: string): Promise<{ type: 'file' | 'dir'; entries: TreeEntry[] }> {
  // Through the real path of the fleet's directory: git names the top level without symlinks.
  const rel = relative(top, resolve(realpathSync(origin.fleetDir), source))
    .split('\\')
    .join('/');
  const at = origin.sha!.slice(0, 12);
  if (isAbsolute(rel) || rel.startsWith('..'))
    throw new UserError(`${source} is outside the git repository (${top})`, 'mount files of the repository, or bake them into the image');
  const r = await git(top, ['archive', '--format=tar', origin.sha!, ...(rel ? ['--', rel] : [])]);
  if (r.code !== 0)
    throw new UserError(
      `${source} is not in commit ${at}: ${r.stderr.trim().split('\n').pop() ?? ''}`,
      `commit ${source} (a deploy ships the files of the deployed commit, not the working tree), or remove the mount`,
    );
  const entries: TreeEntry[] = [];
  let type: 'file' | 'dir' = 'dir';
  for (const e of await unpackTar(r.stdout)) {
    const path = e.path.replace(/\/$/, '');
    if (e.type !== 'file' && e.type !== 'symlink') continue;
    let inner: string;
    if (path === rel) {
      type = 'file';
      inner = '';
    } else if (rel === '' || path.startsWith(`${rel}/`)) inner = rel === '' ? path : path.slice(rel.length + 1);
    else continue;
    entries.push(
      e.type === 'symlink'
        ? { path: inner, kind: 'symlink', executable: false, content: e.linkname }
        : { path: inner, kind: 'file', executable: (e.mode & 0o100) !== 0, content: e.content },
    );
  }
  return { type, entries };
}

function fromWorkingTree(fleetDir: string, s: { source: string; secret: boolean }): { type: 'file' | 'dir'; entries: TreeEntry[] } {
  const abs = isAbsolute(s.source) ? s.source : resolve(fleetDir, s.source);
  const c = workingTreeContent(abs);
  if (c.type === 'file' || c.type === 'dir') return c;
  throw new UserError(
    `${s.secret ? 'secret file' : 'bind source'} ${s.source} ${c.type === 'missing' ? 'does not exist' : 'is neither a file nor a folder'} (${abs})`,
    s.secret ? `create it where you deploy from: secrets are read from there, never from git` : `create it, or deploy from a commit that has it`,
  );
}
