// Git as a release source: resolve a ref to a commit (and whether it is a tag or a branch), and
// produce the build context with `git archive` of that commit — never the working tree.
import { execFile } from 'node:child_process';
import { UserError } from '../diag/errors.ts';

export interface ResolvedRef {
  ref: string;
  sha: string;
  kind: 'tag' | 'branch' | 'commit';
}

function git(repo: string, args: string[], maxBuffer = 512 * 1024 * 1024): Promise<{ stdout: Buffer; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile('git', ['-C', repo, ...args], { encoding: 'buffer', maxBuffer }, (err, stdout, stderr) => {
      resolve({ stdout, stderr: stderr.toString('utf8'), code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
  });
}

export async function resolveRef(repo: string, ref: string): Promise<ResolvedRef> {
  if ((await git(repo, ['rev-parse', '--git-dir'])).code !== 0) {
    throw new UserError(
      `${repo} is not a git repository`,
      'set apps.<app>.git to the repository that holds the Dockerfile, or deploy a prebuilt image with --image',
    );
  }
  const tag = await git(repo, ['rev-parse', '--verify', '--quiet', `refs/tags/${ref}^{commit}`]);
  if (tag.code === 0) return { ref, sha: tag.stdout.toString().trim(), kind: 'tag' };
  for (const prefix of ['refs/heads/', 'refs/remotes/origin/']) {
    const b = await git(repo, ['rev-parse', '--verify', '--quiet', `${prefix}${ref}^{commit}`]);
    if (b.code === 0) return { ref, sha: b.stdout.toString().trim(), kind: 'branch' };
  }
  const c = await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (c.code === 0) return { ref, sha: c.stdout.toString().trim(), kind: 'commit' };
  throw new UserError(`unknown git ref "${ref}" in ${repo}`, 'pass a tag, a branch or a commit that exists (git fetch --tags first?)');
}

/** The current branch, or undefined when HEAD is detached. */
export async function currentBranch(repo: string): Promise<string | undefined> {
  const r = await git(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return r.code === 0 ? r.stdout.toString().trim() : undefined;
}

/** A tar of `context` (a directory of the repo) at commit `sha`. */
export async function archiveContext(repo: string, sha: string, context: string): Promise<Buffer> {
  const path = context.replace(/^\.\/?/, '').replace(/\/$/, '');
  const r = await git(repo, ['archive', '--format=tar', path ? `${sha}:${path}` : sha]);
  if (r.code !== 0)
    throw new UserError(
      `git archive of ${path || '.'} at ${sha.slice(0, 12)} failed: ${r.stderr.trim()}`,
      'check that the build context directory exists at that ref',
    );
  return r.stdout;
}
