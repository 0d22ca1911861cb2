// Fetching a pushed branch or tag into an app's git repository with the system git, so that the
// deploy workflow (which resolves refs/tags, refs/heads, then refs/remotes/origin and builds from
// `git archive`) finds the pushed commit under the pushed name. A repository that does not exist
// yet is cloned bare. With a deploy key, the key is written to a 0600 file in a private temporary
// directory for this fetch only, ssh is told to use that key alone and to pin the host's key in
// the control plane's known_hosts on first use; the file is removed afterwards, whatever happens.
// git is run with argument arrays (never a shell); only GIT_SSH_COMMAND is shell text, and its
// two paths are single-quoted. Messages never show the key, nor a password in a URL.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../../diag/errors.ts';
import type { Secret } from '../../util/secret.ts';
import { writeDeployKey } from './deploy-key-handover.ts';
import type { PushEvent } from './payloads.ts';

export interface FetchPushRequest {
  /** The app's repository (`apps.APP.git.repo`, resolved); cloned bare when it does not exist. */
  repo: string;
  /** Where to fetch from (`control_plane.webhooks.repositories.APP.url`). */
  url: string;
  push: Pick<PushEvent, 'kind' | 'name' | 'sha'>;
  /** The SSH deploy key (a private key); none for local and `git://` URLs, or ssh's own keys. */
  deployKey?: Secret;
  /** The control plane's known_hosts (host keys pinned on first use). */
  knownHosts: string;
  /** A private directory for the key file (the serve data directory). */
  tmpDir: string;
  /** The environment git runs with (PATH, HOME); prompts are always off. */
  env?: Record<string, string | undefined>;
}

export interface FetchedPush {
  /** The commit the pushed name resolves to in the repository now. */
  sha: string;
  /** Whether the repository was cloned by this fetch. */
  cloned: boolean;
}

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fetches `push` from `url` into `repo`; afterwards the branch (refs/heads/NAME) or tag (refs/tags/NAME) resolves to the pushed commit. */
export async function fetchPush(req: FetchPushRequest): Promise<FetchedPush> {
  if (req.url.startsWith('-')) throw new UserError(`the repository URL "${req.url}" starts with "-"`, 'write a URL or path to the repository');
  const git = gitRunner(req);
  let keyDir: string | undefined;
  try {
    if (req.deployKey) {
      await mkdir(req.tmpDir, { recursive: true, mode: 0o700 });
      const written = await writeDeployKey(req.tmpDir, req.deployKey);
      keyDir = written.dir;
      git.sshCommand = sshCommand(req.knownHosts, written.file);
    } else {
      git.sshCommand = sshCommand(req.knownHosts);
    }
    await mkdir(dirname(req.knownHosts), { recursive: true, mode: 0o700 });
    const cloned = await ensureRepository(git, req);
    const sha = req.push.kind === 'tag' ? await fetchTag(git, req) : await fetchBranch(git, req);
    return { sha, cloned };
  } finally {
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  }
}

interface Git {
  run(args: string[], cwd?: string): Promise<GitResult>;
  sshCommand?: string;
}

function gitRunner(req: FetchPushRequest): Git {
  const g: Git = {
    run: (args, cwd) =>
      new Promise((resolve) => {
        const env: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.env ?? process.env)) if (v !== undefined && !k.startsWith('GIT_')) env[k] = v;
        env.GIT_TERMINAL_PROMPT = '0';
        env.GIT_ASKPASS = 'true';
        if (g.sshCommand) env.GIT_SSH_COMMAND = g.sshCommand;
        execFile('git', cwd ? ['-C', cwd, ...args] : args, { env, maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 }, (err, stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
        });
      }),
  };
  return g;
}

/** The ssh command git runs: this key only (when given), host keys pinned in `knownHosts` on first use, never a prompt. */
export function sshCommand(knownHosts: string, keyFile?: string): string {
  return [
    'ssh',
    ...(keyFile ? ['-i', quote(keyFile), '-o', 'IdentitiesOnly=yes'] : []),
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${quote(knownHosts)}`,
    '-o',
    'BatchMode=yes',
  ].join(' ');
}

/** A POSIX shell single-quoted word. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function ensureRepository(git: Git, req: FetchPushRequest): Promise<boolean> {
  if (existsSync(req.repo)) {
    if ((await git.run(['rev-parse', '--git-dir'], req.repo)).code !== 0)
      throw new UserError(
        `${req.repo} exists and is not a git repository`,
        "point the app's git.repo at a repository, or at a path that does not exist yet (serve clones it)",
      );
    return false;
  }
  await mkdir(dirname(req.repo), { recursive: true });
  const r = await git.run(['clone', '--bare', '--quiet', '--', req.url, req.repo]);
  if (r.code !== 0) {
    await rm(req.repo, { recursive: true, force: true });
    throw gitFailed(`cloning ${redactUrl(req.url)} into ${req.repo}`, r, req.url);
  }
  return true;
}

async function fetchTag(git: Git, req: FetchPushRequest): Promise<string> {
  const { name } = req.push;
  const f = await git.run(['fetch', '--quiet', '--no-tags', '--force', '--', req.url, `+refs/tags/${name}:refs/tags/${name}`], req.repo);
  if (f.code !== 0) throw gitFailed(`fetching tag ${name} from ${redactUrl(req.url)}`, f, req.url);
  const r = await git.run(['rev-parse', '--verify', '--quiet', `refs/tags/${name}^{commit}`], req.repo);
  if (r.code !== 0) throw new UserError(`tag ${name} from ${redactUrl(req.url)} does not point at a commit`, 'tag a commit and push the tag again');
  return r.stdout.trim();
}

async function fetchBranch(git: Git, req: FetchPushRequest): Promise<string> {
  const { name, sha } = req.push;
  const f = await git.run(['fetch', '--quiet', '--no-tags', '--', req.url, `+refs/heads/${name}:refs/remotes/origin/${name}`], req.repo);
  if (f.code !== 0) throw gitFailed(`fetching branch ${name} from ${redactUrl(req.url)}`, f, req.url);
  if ((await git.run(['cat-file', '-e', `${sha}^{commit}`], req.repo)).code !== 0)
    throw new UserError(
      `commit ${sha.slice(0, 12)} pushed to ${name} is not in ${redactUrl(req.url)} any more (the branch was rewritten?)`,
      'push again: the newest push is deployed',
    );
  // The deploy resolves refs/heads first: point the branch at exactly the pushed commit.
  const bare = (await git.run(['rev-parse', '--is-bare-repository'], req.repo)).stdout.trim() === 'true';
  if (!bare) await checkWorkingCopy(git, req);
  const u = await git.run(['update-ref', '-m', `slipway webhook: ${name} at ${sha}`, `refs/heads/${name}`, sha], req.repo);
  if (u.code !== 0) throw gitFailed(`moving ${name} to ${sha.slice(0, 12)} in ${req.repo}`, u, req.url);
  return sha;
}

/** In a working copy, a branch is only moved forward, and never the one checked out (its files would no longer match). */
async function checkWorkingCopy(git: Git, req: FetchPushRequest): Promise<void> {
  const { name, sha } = req.push;
  const head = await git.run(['symbolic-ref', '--quiet', 'HEAD'], req.repo);
  const hint = `give serve a repository of its own: point apps.APP.git.repo at a path that does not exist yet and serve clones it bare`;
  if (head.code === 0 && head.stdout.trim() === `refs/heads/${name}`)
    throw new UserError(`${req.repo} is a working copy with ${name} checked out: the webhook does not move it under your files`, hint);
  const local = await git.run(['rev-parse', '--verify', '--quiet', `refs/heads/${name}`], req.repo);
  if (local.code !== 0) return;
  if ((await git.run(['merge-base', '--is-ancestor', local.stdout.trim(), sha], req.repo)).code !== 0)
    throw new UserError(`${name} in ${req.repo} has commits that ${sha.slice(0, 12)} does not: the webhook does not rewrite a working copy's branch`, hint);
}

function gitFailed(what: string, r: GitResult, url: string): UserError {
  const detail = r.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-5)
    .join(' / ')
    .replaceAll(url, redactUrl(url));
  return new UserError(
    `${what} failed (git exit ${r.code})${detail ? `: ${redactUrl(detail)}` : ''}`,
    'check control_plane.webhooks.repositories (the URL, the deploy key and that the git host accepts it)',
  );
}

/** A URL with any password (or token) replaced by ***. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@/\s]*@/gi, '$1:***@');
}
