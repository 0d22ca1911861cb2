// A real git server for the webhook tests: bare repositories under a root directory served by
// `git daemon` on 127.0.0.1 (a free port; the daemon is this process's child, stopped by its PID),
// and a working clone that commits and pushes to them as a developer would. Also the body and
// headers of a push delivery exactly as GitHub sends them (X-GitHub-Event, X-GitHub-Delivery,
// X-Hub-Signature-256 over the raw body), from the recorded payload in
// src/server/webhooks/__fixtures__ with the real refs and commits filled in.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { connect } from 'node:net';
import { REPO } from './cli.ts';
import { freePort, stopChild } from './processes.ts';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Octo Cat',
  GIT_AUTHOR_EMAIL: 'octocat@example.com',
  GIT_COMMITTER_NAME: 'Octo Cat',
  GIT_COMMITTER_EMAIL: 'octocat@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8', env: GIT_ENV }).trim();

export interface GitDaemon {
  port: number;
  pid: number;
  /** `git://127.0.0.1:PORT/PATH` of a repository under the root. */
  url(path: string): string;
  stop(): Promise<void>;
}

/** Serves every repository under `root` read-only over git:// on 127.0.0.1; resolves once it accepts connections. */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', '--informative-errors', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`git daemon exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`git daemon did not listen on 127.0.0.1:${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, pid: child.pid!, url: (path) => `git://127.0.0.1:${port}/${path}`, stop: () => stopChild(child) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface AppRepo {
  /** The bare repository (what the daemon serves). */
  bare: string;
  /** The developer's clone. */
  work: string;
  /** Writes files, commits them on `branch` and pushes it; returns the commit. */
  commit(branch: string, message: string, files: Record<string, string>): string;
  /** Tags HEAD of `branch` (lightweight) and pushes the tag; returns the commit. */
  tag(branch: string, name: string): string;
}

/** A bare repository `root/PATH.git` and a clone whose `main` holds `files`, pushed. */
export function makeAppRepo(root: string, path: string, work: string, files: Record<string, string>): AppRepo {
  const bare = join(root, `${path}.git`);
  mkdirSync(dirname(bare), { recursive: true });
  git(['init', '--quiet', '--bare', '-b', 'main', bare]);
  git(['init', '--quiet', '-b', 'main', work]);
  git(['-C', work, 'remote', 'add', 'origin', bare]);
  const repo: AppRepo = {
    bare,
    work,
    commit(branch, message, more) {
      const current = git(['-C', work, 'branch', '--show-current']);
      if (current !== branch) {
        const exists = git(['-C', work, 'branch', '--list', branch]) !== '';
        git(['-C', work, 'checkout', '--quiet', ...(exists ? [branch] : ['-b', branch])]);
      }
      for (const [name, text] of Object.entries(more)) {
        mkdirSync(dirname(join(work, name)), { recursive: true });
        writeFileSync(join(work, name), text);
      }
      git(['-C', work, 'add', '-A']);
      git(['-C', work, 'commit', '--quiet', '--allow-empty', '-m', message]);
      git(['-C', work, 'push', '--quiet', 'origin', branch]);
      return git(['-C', work, 'rev-parse', 'HEAD']);
    },
    tag(branch, name) {
      const sha = git(['-C', work, 'rev-parse', branch]);
      git(['-C', work, 'tag', name, sha]);
      git(['-C', work, 'push', '--quiet', 'origin', `refs/tags/${name}`]);
      return sha;
    },
  };
  repo.commit('main', 'the app', files);
  return repo;
}

export interface GithubDelivery {
  id: string;
  headers: Record<string, string>;
  body: string;
}

const FIXTURES = join(REPO, 'src', 'server', 'webhooks', '__fixtures__');

/** A GitHub `push` delivery of `ref` (refs/heads/… or refs/tags/…) now at `sha`, signed with `secret`. */
export function githubPush(opts: { ref: string; before?: string; sha: string; message?: string; secret: string }): GithubDelivery {
  const tag = opts.ref.startsWith('refs/tags/');
  type HeadCommit = { id: string; message?: string; url?: string };
  const p = JSON.parse(readFileSync(join(FIXTURES, tag ? 'github-tag.json' : 'github-push.json'), 'utf8')) as Record<string, unknown> & {
    before: string;
    head_commit?: HeadCommit | null;
  };
  p.ref = opts.ref;
  p.before = opts.before ?? '0'.repeat(40);
  p.after = opts.sha;
  p.created = opts.before === undefined;
  p.compare = `https://github.com/acme/shop/compare/${p.before.slice(0, 12)}...${opts.sha.slice(0, 12)}`;
  const head = {
    ...(p.head_commit ?? {}),
    id: opts.sha,
    message: opts.message ?? p.head_commit?.message,
    url: `https://github.com/acme/shop/commit/${opts.sha}`,
  };
  p.head_commit = head;
  p.commits = tag ? [] : [head];
  const body = JSON.stringify(p, null, 2);
  return { id: randomUUID(), body, headers: githubHeaders('push', body, opts.secret) };
}

/** GitHub's request headers for `body`, signed (X-Hub-Signature-256) with `secret`. */
export function githubHeaders(event: string, body: string, secret: string, id: string = randomUUID()): Record<string, string> {
  const sig = createHmac('sha256', secret).update(body).digest('hex');
  return {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/5a1b2c3',
    'x-github-event': event,
    'x-github-delivery': id,
    'x-github-hook-id': '458210731',
    'x-github-hook-installation-target-id': '186853002',
    'x-github-hook-installation-target-type': 'repository',
    'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
    'x-hub-signature-256': `sha256=${sig}`,
  };
}
