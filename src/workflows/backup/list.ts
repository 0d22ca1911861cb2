// `slipway backups [ENV]`: the backups recorded on the servers, newest first, with their age,
// size, status, where they are complete, and their last verification. Read-only (no lock).
import type { BackupRecord } from '../../backup/record.ts';
import type { FleetSession } from '../fleet-session.ts';
import { readRecords } from './records.ts';

export interface BackupRow {
  id: string;
  env: string;
  server: string;
  status: BackupRecord['status'];
  startedAt: string;
  /** Seconds since it started. */
  ageS: number;
  bytes: number;
  /** Destinations holding it complete. */
  complete: string[];
  failed: { name: string; error?: string }[];
  verifiedAt?: string;
  verification?: BackupRecord['verification'];
  error?: string;
}

export async function listBackups(session: FleetSession, opts: { env?: string; now: number }): Promise<BackupRow[]> {
  const rows: BackupRow[] = [];
  for (const env of session.fleet.environments) {
    if (opts.env !== undefined && env.name !== opts.env) continue;
    const run = session.runs.get(env.server);
    if (!run) continue;
    for (const r of await readRecords(run, env.name)) {
      rows.push({
        id: r.id,
        env: r.env,
        server: r.server,
        status: r.status,
        startedAt: r.startedAt,
        ageS: Math.max(0, Math.round((opts.now - Date.parse(r.startedAt)) / 1000)),
        bytes: r.bytes,
        complete: r.destinations.filter((d) => d.status === 'ok').map((d) => d.name),
        failed: r.destinations.filter((d) => d.status === 'failed').map((d) => ({ name: d.name, ...(d.error ? { error: d.error } : {}) })),
        ...(r.verifiedAt ? { verifiedAt: r.verifiedAt } : {}),
        ...(r.verification ? { verification: r.verification } : {}),
        ...(r.error ? { error: r.error } : {}),
      });
    }
  }
  return rows.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.env.localeCompare(b.env));
}
