// `slipway backup prune [ENV] [--dry-run]`: grandfather-father-son retention (backup/retention.ts)
// applied per destination to the backups complete there, under each environment's lock, listing
// and deleting only under `{project}/{env}/` — never another environment's or project's objects.
// The newest backup and the newest verified one are always kept. Leftovers of interrupted backups
// go too. With --dry-run nothing is deleted and the decisions are returned all the same.
import { backupIdTime, envPrefix } from '../../backup/layout.ts';
import { type KeepReason, applyRetention } from '../../backup/retention.ts';
import type { Destination } from '../../backup/destination.ts';
import { recordPath } from '../../backup/record.ts';
import { withEnvLock } from '../env-lock-run.ts';
import { type FleetSession, runFor } from '../fleet-session.ts';
import { type DestinationOpener, openDestination } from './destinations/open.ts';
import { groupByBackup, removeLeftovers } from './leftovers.ts';
import { readRecords, writeRecord } from './records.ts';
import { envWithPolicy } from './run-backup.ts';

export interface PruneDecision {
  env: string;
  destination: string;
  id: string;
  action: 'keep' | 'delete';
  reasons: KeepReason[];
  objects: number;
  bytes: number;
}

export interface PruneResult {
  dryRun: boolean;
  decisions: PruneDecision[];
  /** Objects of unfinished backups removed (or that would be). */
  leftovers: { env: string; destination: string; id: string; objects: number }[];
  /** Destinations that could not be pruned, and why (the others were). */
  failed: { env: string; destination: string; error: string }[];
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

export async function pruneBackups(
  session: FleetSession,
  opts: { env?: string; dryRun: boolean; lockWaitS?: number; opener?: DestinationOpener },
): Promise<PruneResult> {
  const result: PruneResult = { dryRun: opts.dryRun, decisions: [], leftovers: [], failed: [] };
  const envs = opts.env !== undefined ? [opts.env] : session.fleet.environments.filter((e) => e.backup).map((e) => e.name);
  for (const name of envs) {
    const { env, policy } = envWithPolicy(session, name);
    const run = runFor(session, env.server);
    const project = session.fleet.project;
    await withEnvLock(
      run,
      name,
      { command: `backup prune ${name}${opts.dryRun ? ' --dry-run' : ''}`, action: 'backup-prune', lockWaitS: opts.lockWaitS ?? 0 },
      async () => {
        const records = await readRecords(run, name);
        const verified = new Set(records.filter((r) => r.verifiedAt).map((r) => r.id));
        const open = opts.opener ?? openDestination;
        for (const dest of policy.destinations) {
          let d: Destination | undefined;
          try {
            d = await open(run, name, dest);
            const left = await removeLeftovers(run, name, [d], { dryRun: opts.dryRun });
            result.leftovers.push(...left.deleted.map((x) => ({ env: name, ...x })));
            const groups = groupByBackup(project, name, await d.list(envPrefix(project, name)));
            const complete = [...groups].filter(([, g]) => g.complete);
            const decisions = applyRetention(
              complete.map(([id]) => ({ id, at: backupIdTime(id)!, verified: verified.has(id) })),
              dest.retention,
            );
            for (const dec of decisions) {
              const g = groups.get(dec.id)!;
              result.decisions.push({
                env: name,
                destination: dest.name,
                id: dec.id,
                action: dec.keep ? 'keep' : 'delete',
                reasons: dec.reasons,
                objects: g.keys.length,
                bytes: g.bytes,
              });
              if (dec.keep || opts.dryRun) continue;
              // Every key came from listing this environment's own prefix.
              await d.delete(g.keys);
              const r = records.find((x) => x.id === dec.id);
              if (r) {
                r.destinations = r.destinations.map((x) => (x.name === dest.name ? { ...x, status: 'pruned' as const } : x));
                if (r.destinations.some((x) => x.status === 'ok')) await writeRecord(run, r);
                else await run.store.write(recordPath(name, r.id), '');
              }
            }
          } catch (e) {
            result.failed.push({ env: name, destination: dest.name, error: firstLine(e) });
            run.report.warn(`prune ${name} in ${dest.name}: ${firstLine(e)}`);
          } finally {
            await d?.close().catch(() => undefined);
          }
        }
      },
    );
  }
  return result;
}
