// Release history per app and environment, kept in the server's state volume: which release is
// live, what it was built from, who deployed it and when.
import type { StateStore } from './state-store.ts';

export interface ReleaseRecord {
  release: string;
  image: string;
  imageId?: string;
  gitSha?: string;
  ref?: string;
  deployedAt: string;
  deployedBy: string;
  status: 'live' | 'previous' | 'failed' | 'rolled-back';
  note?: string;
  /**
   * Slots (`process/replica`) this release runs in a container of an earlier release, by that
   * release: what the deploy kept running because its spec had not changed (a database).
   */
  carried?: Record<string, string>;
}

export interface ReleaseHistory {
  app: string;
  env: string;
  current: string | null;
  releases: ReleaseRecord[];
}

const path = (app: string, env: string) => `releases/${env}/${app}.json`;

export async function readHistory(store: StateStore, app: string, env: string): Promise<ReleaseHistory> {
  return (await store.readJson<ReleaseHistory>(path(app, env))) ?? { app, env, current: null, releases: [] };
}

export async function writeHistory(store: StateStore, h: ReleaseHistory): Promise<void> {
  await store.writeJson(path(h.app, h.env), h);
}

/** Records `rec` as the live release; the previous live one becomes `previous`. */
/** The history keeps the newest entries only (containers and images are pruned separately). */
export const HISTORY_LIMIT = 50;

export function withLive(h: ReleaseHistory, rec: ReleaseRecord): ReleaseHistory {
  const releases = h.releases.filter((r) => r.release !== rec.release).map((r) => (r.status === 'live' ? { ...r, status: 'previous' as const } : r));
  return { ...h, current: rec.release, releases: [{ ...rec, status: 'live' as const }, ...releases].slice(0, HISTORY_LIMIT) };
}

export function withFailed(h: ReleaseHistory, rec: ReleaseRecord, note: string): ReleaseHistory {
  return { ...h, releases: [{ ...rec, status: 'failed' as const, note }, ...h.releases.filter((r) => r.release !== rec.release)].slice(0, HISTORY_LIMIT) };
}
