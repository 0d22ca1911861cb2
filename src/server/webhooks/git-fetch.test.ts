// fetchPush against local repositories with the system git: a missing repository is cloned bare
// and the branch is moved to exactly the pushed commit (an older push deploys the older commit);
// a tag resolves to its commit; a developer's working copy is never rewritten; a commit that is
// not on the server, and a URL that does not answer, are clear errors without passwords. Also the
// repository matching and the ssh command's quoting.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../util/secret.ts';
import { writeDeployKey } from './deploy-key-handover.ts';
import { fetchPush, redactUrl, sshCommand } from './git-fetch.ts';
import { sameRepository } from './repo-match.ts';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e.x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e.x' };
const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8', env: GIT_ENV }).trim();

let dir: string;
let origin: string;
let work: string;
const commit = (branch: string, msg: string) => {
  git(['-C', work, 'checkout', '-q', '-B', branch]);
  git(['-C', work, 'commit', '-q', '--allow-empty', '-m', msg]);
  git(['-C', work, 'push', '-q', 'origin', branch]);
  return git(['-C', work, 'rev-parse', 'HEAD']);
};
const req = (repo: string, push: { kind: 'branch' | 'tag'; name: string; sha: string }, url = origin) => ({
  repo,
  url,
  push,
  knownHosts: join(dir, 'data', 'known_hosts'),
  tmpDir: join(dir, 'data'),
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-git-fetch-'));
  origin = join(dir, 'origin.git');
  work = join(dir, 'work');
  git(['init', '-q', '--bare', '-b', 'main', origin]);
  git(['init', '-q', '-b', 'main', work]);
  git(['-C', work, 'remote', 'add', 'origin', origin]);
  commit('main', 'first');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fetchPush', () => {
  it('clones a missing repository bare and points the branch at exactly the pushed commit', async () => {
    const one = commit('develop', 'one');
    const two = commit('develop', 'two');
    const repo = join(dir, 'repos', 'shop');
    expect(await fetchPush(req(repo, { kind: 'branch', name: 'develop', sha: one }))).toEqual({ sha: one, cloned: true });
    expect(git(['-C', repo, 'rev-parse', 'refs/heads/develop'])).toBe(one);
    expect(await fetchPush(req(repo, { kind: 'branch', name: 'develop', sha: two }))).toEqual({ sha: two, cloned: false });
    expect(git(['-C', repo, 'rev-parse', 'refs/heads/develop'])).toBe(two);
  });

  it('fetches a tag to the commit it points at', async () => {
    const sha = commit('main', 'release');
    git(['-C', work, 'tag', '-a', '-m', 'v1.3.0', 'v1.3.0']);
    git(['-C', work, 'push', '-q', 'origin', 'v1.3.0']);
    const repo = join(dir, 'repo');
    expect((await fetchPush(req(repo, { kind: 'tag', name: 'v1.3.0', sha }))).sha).toBe(sha);
    expect(git(['-C', repo, 'rev-parse', 'v1.3.0^{commit}'])).toBe(sha);
  });

  it('never moves the checked-out branch of a working copy, nor rewinds one of its branches', async () => {
    const sha = commit('develop', 'one');
    const copy = join(dir, 'copy');
    git(['clone', '-q', origin, copy]);
    git(['-C', copy, 'checkout', '-q', 'develop']);
    await expect(fetchPush(req(copy, { kind: 'branch', name: 'develop', sha }))).rejects.toThrow(/working copy with develop checked out/);
    git(['-C', copy, 'checkout', '-q', 'main']);
    git(['-C', copy, 'commit', '-q', '--allow-empty', '-m', 'local work']);
    git(['-C', copy, 'branch', '-q', '-f', 'develop', 'HEAD']);
    await expect(fetchPush(req(copy, { kind: 'branch', name: 'develop', sha }))).rejects.toThrow(/has commits that .* does not/);
  });

  it('refuses a commit the server does not have, an unreachable URL (no password shown) and a path that is not a repository', async () => {
    commit('develop', 'one');
    const repo = join(dir, 'repo');
    await expect(fetchPush(req(repo, { kind: 'branch', name: 'develop', sha: 'f'.repeat(40) }))).rejects.toThrow(/is not in .* any more/);
    const url = 'https://deploy:s3cr3t-token@127.0.0.1:1/acme/shop.git';
    const e = await fetchPush(req(join(dir, 'other'), { kind: 'branch', name: 'develop', sha: 'f'.repeat(40) }, url)).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/^cloning https:\/\/deploy:\*\*\*@127\.0\.0\.1:1\/acme\/shop\.git into .* failed/);
    expect(`${(e as Error).message}`).not.toContain('s3cr3t-token');
    await expect(fetchPush(req(dir, { kind: 'branch', name: 'develop', sha: 'f'.repeat(40) }))).rejects.toThrow(/is not a git repository/);
    await expect(fetchPush(req(repo, { kind: 'branch', name: 'develop', sha: 'f'.repeat(40) }, '--upload-pack=touch /tmp/x'))).rejects.toThrow(
      /starts with "-"/,
    );
  });
});

describe('deploy key and ssh command', () => {
  it('writes the key 0600 in a fresh directory, with its final newline', async () => {
    const { dir: keyDir, file } = await writeDeployKey(dir, new Secret('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', 'k'));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(keyDir.startsWith(join(dir, 'deploy-key-'))).toBe(true);
    expect(execFileSync('tail', ['-c', '1', file], { encoding: 'utf8' })).toBe('\n');
  });

  it('quotes its paths for the shell git runs GIT_SSH_COMMAND with', () => {
    expect(sshCommand("/data/it's here/known_hosts", '/tmp/k 1/id')).toBe(
      "ssh -i '/tmp/k 1/id' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile='/data/it'\\''s here/known_hosts' -o BatchMode=yes",
    );
    expect(redactUrl('fatal: https://u:pw@h/x and ssh://git@h/y')).toBe('fatal: https://u:***@h/x and ssh://git@h/y');
  });
});

describe('sameRepository', () => {
  const repo = { cloneUrl: 'https://github.com/acme/shop.git', sshUrl: 'git@github.com:acme/shop.git', fullName: 'acme/shop' };
  it.each([
    ['git@github.com:acme/shop.git', true],
    ['https://github.com/Acme/Shop', true],
    ['git://10.0.0.5:9418/acme/shop.git', true],
    ['ssh://git@mirror.internal/srv/git/acme/shop.git', true],
    ['/srv/git/acme/shop.git', true],
    ['git@github.com:acme/shop-admin.git', false],
    ['git@github.com:other/shop.git', false],
    ['git@github.com:acme/shop/extra.git', false],
  ])('%s → %s', (url, same) => {
    expect(sameRepository(url, repo)).toBe(same);
  });
});
