import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReleaseHistory, ReleaseRecord } from '../../workflows/releases.ts';
import { gitLog } from './git-range.ts';
import { releaseViews } from './release-changes.ts';

const repo = mkdtempSync(join(tmpdir(), 'slipway-git-range-'));
afterAll(() => rmSync(repo, { recursive: true, force: true }));
const git = (args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
  }).trim();

function commit(subject: string): string {
  writeFileSync(join(repo, 'f'), subject);
  git(['add', 'f']);
  git(['commit', '-q', '-m', subject]);
  return git(['rev-parse', 'HEAD']);
}

const rec = (release: string, image: string, gitSha: string | undefined, status: ReleaseRecord['status']): ReleaseRecord => ({
  release,
  image,
  ...(gitSha ? { gitSha } : {}),
  ref: 'main',
  deployedAt: '2025-01-01T00:00:00.000Z',
  deployedBy: 'ci',
  status,
});

describe('release changes', () => {
  git(['init', '-q', '-b', 'main']);
  const c1 = commit('first');
  const c2 = commit('second: with a tab\tinside');
  const c3 = commit('third');
  const c4 = commit('fourth, deployed but failed');

  it('compares each release with the one before that went live: image and the commits between, newest first', async () => {
    const h: ReleaseHistory = {
      app: 'web',
      env: 'staging',
      current: 'r3',
      releases: [
        rec('r4', 'web:r4', c4, 'failed'),
        rec('r3', 'web:r3', c3, 'live'),
        rec('r2', 'web:r2', undefined, 'previous'),
        rec('r1', 'web:r1', c1, 'previous'),
      ],
    };
    h.releases[2] = rec('r2', 'web:r2', c1, 'previous');
    const views = await releaseViews(h, repo, gitLog);
    expect(views.map((v) => [v.id, v.current, v.status])).toEqual([
      ['r4', false, 'failed'],
      ['r3', true, 'live'],
      ['r2', false, 'previous'],
      ['r1', false, 'previous'],
    ]);
    expect(views[0]!.changes).toEqual({
      image: { from: 'web:r3', to: 'web:r4' },
      git: { from: c3, to: c4, commits: [{ sha: c4, subject: 'fourth, deployed but failed' }] },
    });
    expect(views[1]!.changes.git?.commits).toEqual([
      { sha: c3, subject: 'third' },
      { sha: c2, subject: 'second: with a tab\tinside' },
    ]);
    // Same commit: no git range. The first release: nothing to compare with. No fleet diff is recorded.
    expect(views[2]!.changes).toEqual({ image: { from: 'web:r1', to: 'web:r2' } });
    expect(views[3]!.changes).toEqual({});
    expect(views.some((v) => 'fleet' in v.changes)).toBe(false);
  });

  it('caps the commits, and says why when a commit is not in the repository', async () => {
    const capped = await gitLog(repo, c1, c4, 2);
    expect(capped).toEqual({
      commits: [
        { sha: c4, subject: 'fourth, deployed but failed' },
        { sha: c3, subject: 'third' },
      ],
      truncated: true,
    });
    const missing = await gitLog(repo, 'f'.repeat(40), c4, 50);
    expect(missing.commits).toEqual([]);
    expect(missing.unavailable).toMatch(/^git log failed: /);
    expect(await gitLog(repo, '--output=/tmp/x', c4, 50)).toEqual({ commits: [], unavailable: 'not full commit ids' });
  });
});
