// The releases of one app in one environment, as the server's history records them: which is live,
// what each was built from, who deployed it and when (newest first).
import { type ReleaseHistory, readHistory } from './releases.ts';
import type { ServerRun } from './server-run.ts';

export async function listReleases(run: ServerRun, opts: { app: string; env: string }): Promise<ReleaseHistory> {
  return readHistory(run.store, opts.app, opts.env);
}
