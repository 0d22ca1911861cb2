// The release history as the API shows it: each release with what changed against the release
// before it (the next older one that went live; a failed release never served): the image, and the
// git range when both were built from commits of a repository. The fleet's desired state is not
// recorded with a release (releases.ts keeps image, sha, ref, who and when), so there is no fleet
// diff to show: `changes.fleet` is left out.
import type { ReleaseHistory, ReleaseRecord } from '../../workflows/releases.ts';
import type { GitLog } from './git-range.ts';
import type { ReleaseView } from './live-port.ts';

export const MAX_COMMITS = 50;

/** `repo`: the app's git repository, when it is built from one. */
export async function releaseViews(h: ReleaseHistory, repo: string | undefined, git: GitLog): Promise<ReleaseView[]> {
  const views: ReleaseView[] = [];
  const ranges = new Map<string, Promise<Awaited<ReturnType<GitLog>>>>();
  for (const [i, r] of h.releases.entries()) {
    const before = h.releases.slice(i + 1).find((o) => o.status !== 'failed');
    const changes: ReleaseView['changes'] = {};
    if (before && before.image !== r.image) changes.image = { from: before.image, to: r.image };
    if (before?.gitSha && r.gitSha && repo && before.gitSha !== r.gitSha) {
      const key = `${before.gitSha}..${r.gitSha}`;
      if (!ranges.has(key)) ranges.set(key, git(repo, before.gitSha, r.gitSha, MAX_COMMITS));
      const range = await ranges.get(key)!;
      changes.git = { from: before.gitSha, to: r.gitSha, ...range };
    }
    views.push(view(h, r, changes));
  }
  return views;
}

function view(h: ReleaseHistory, r: ReleaseRecord, changes: ReleaseView['changes']): ReleaseView {
  return {
    app: h.app,
    id: r.release,
    image: r.image,
    ...(r.ref ? { ref: r.ref } : {}),
    ...(r.gitSha ? { sha: r.gitSha } : {}),
    at: r.deployedAt,
    by: r.deployedBy,
    status: r.status,
    current: r.release === h.current,
    ...(r.note ? { note: r.note } : {}),
    changes,
  };
}
