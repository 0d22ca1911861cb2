// The commits between two deployed releases: `git log --format=%H%x09%s --max-count=N FROM..TO`
// in the app's repository (argv, never a shell; both ends must be full commit ids, so nothing
// reaches git as an option). A repository that lacks a commit says so instead of failing.
import { execFile } from 'node:child_process';

export interface GitRange {
  commits: { sha: string; subject: string }[];
  /** More commits than `max` lie in the range. */
  truncated?: boolean;
  /** Why there are no commits to show (a commit is not in the repository…). */
  unavailable?: string;
}

export type GitLog = (repo: string, from: string, to: string, max: number) => Promise<GitRange>;

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export const gitLog: GitLog = async (repo, from, to, max) => {
  if (!SHA.test(from) || !SHA.test(to)) return { commits: [], unavailable: 'not full commit ids' };
  const r = await run(['-C', repo, 'log', '--no-color', '--format=%H%x09%s', `--max-count=${max + 1}`, `${from}..${to}`]);
  if (r.code !== 0) return { commits: [], unavailable: `git log failed: ${r.stderr.split('\n')[0]?.trim() || `exit ${r.code}`}` };
  const commits = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const tab = l.indexOf('\t');
      return { sha: tab < 0 ? l : l.slice(0, tab), subject: tab < 0 ? '' : l.slice(tab + 1) };
    });
  return commits.length > max ? { commits: commits.slice(0, max), truncated: true } : { commits };
};

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { encoding: 'utf8', maxBuffer: 4 * 1024 * 1024, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code ?? 1) : 1) : 0, stdout, stderr });
    });
  });
}
