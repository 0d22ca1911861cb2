// Leftovers of backups that never finished (a SIGKILL, a lost connection): under the
// environment's lock nothing else is writing, so in each destination every backup under the
// environment's prefix that has no manifest is incomplete there, and its objects go. A record
// still `running` is settled from what the destinations hold: `partial` (or `ok`) where a
// destination has its manifest, otherwise the record is removed, so no half backup is ever listed.
import type { Destination, ObjectEntry } from '../../backup/destination.ts';
import { envPrefix, MANIFEST_KEY, parseObjectKey } from '../../backup/layout.ts';
import { type BackupRecord, overallStatus, recordPath } from '../../backup/record.ts';
import { LABELS } from '../../model/labels.ts';
import type { ServerRun } from '../server-run.ts';
import { readRecords } from './records.ts';

/** Backups in one destination's listing: id → its keys, and whether its manifest is there. */
export function groupByBackup(
  project: string,
  env: string,
  entries: readonly ObjectEntry[],
): Map<string, { keys: string[]; bytes: number; complete: boolean }> {
  const out = new Map<string, { keys: string[]; bytes: number; complete: boolean }>();
  for (const e of entries) {
    const p = parseObjectKey(project, env, e.key);
    if (!p) continue;
    const g = out.get(p.id) ?? { keys: [], bytes: 0, complete: false };
    g.keys.push(e.key);
    g.bytes += e.size;
    if (p.key === MANIFEST_KEY) g.complete = true;
    out.set(p.id, g);
  }
  return out;
}

export interface LeftoverReport {
  /** Objects deleted, per destination. */
  deleted: { destination: string; id: string; objects: number }[];
  /** Records settled (id → new status, or `removed`). */
  settled: { id: string; status: BackupRecord['status'] | 'removed' }[];
}

export async function removeLeftovers(
  run: ServerRun,
  env: string,
  destinations: readonly Destination[],
  opts: { keep?: string; dryRun?: boolean } = {},
): Promise<LeftoverReport> {
  const project = run.fleet.project;
  const report: LeftoverReport = { deleted: [], settled: [] };
  // Helper containers a killed run left (a dump, the snapshot's session): theirs is this environment's label.
  if (!opts.dryRun && opts.keep === undefined) {
    const stale = await run.conn.engine.listContainers({ [LABELS.project]: project, [LABELS.role]: 'backup', [LABELS.env]: env }, { all: true });
    for (const c of stale) await run.conn.engine.removeContainer(c.id, { force: true }).catch(() => undefined);
  }
  const completeIn = new Map<string, Set<string>>();
  for (const d of destinations) {
    const groups = groupByBackup(project, env, await d.list(envPrefix(project, env)));
    for (const [id, g] of groups) {
      if (id === opts.keep) continue;
      if (g.complete) {
        (completeIn.get(id) ?? completeIn.set(id, new Set()).get(id)!).add(d.name);
        continue;
      }
      if (!opts.dryRun) await d.delete(g.keys);
      report.deleted.push({ destination: d.name, id, objects: g.keys.length });
    }
  }
  for (const r of await readRecords(run, env)) {
    if (r.status !== 'running' || r.id === opts.keep) continue;
    const have = completeIn.get(r.id) ?? new Set<string>();
    const dests = r.destinations.map((x) =>
      have.has(x.name) ? { ...x, status: 'ok' as const } : { ...x, status: 'failed' as const, error: x.error ?? 'interrupted before it finished' },
    );
    if (!dests.some((x) => x.status === 'ok')) {
      if (!opts.dryRun) await run.store.write(recordPath(env, r.id), '');
      report.settled.push({ id: r.id, status: 'removed' });
      continue;
    }
    const status = overallStatus(dests, 'interrupted');
    if (!opts.dryRun)
      await run.store.writeJson(recordPath(env, r.id), { ...r, destinations: dests, status, error: r.error ?? 'interrupted before it finished' });
    report.settled.push({ id: r.id, status });
  }
  return report;
}
