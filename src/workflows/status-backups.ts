// The backup part of `slipway status`: per environment on a server, the age of the last good
// (`ok`) backup and of the last verification, read from the backup records the server keeps
// (backup/record.ts), plus the newest backup when it is not ok (a failing schedule shows). Read-only,
// no lock: the same records `slipway backups` lists.
import type { BackupRecord } from '../backup/record.ts';
import { readRecords } from './backup/records.ts';
import type { ServerRun } from './server-run.ts';

export interface EnvBackupStatus {
  env: string;
  server: string;
  /** The environment has a backup policy in the fleet file. */
  policy: boolean;
  /** The newest backup whose status is `ok` (every destination complete and checked); its age from when it finished. */
  lastOk: { id: string; at: string; ageS: number } | null;
  /** The newest verification recorded on any backup, whatever its result. */
  lastVerification: { id: string; at: string; ageS: number; result: 'ok' | 'failed' } | null;
  /** The newest backup when it is not `ok` (running, partial or failed); absent otherwise. */
  newestNotOk?: { id: string; status: BackupRecord['status']; at: string; ageS: number; error?: string };
}

const ageOf = (now: number, at: string) => Math.max(0, Math.round((now - Date.parse(at)) / 1000));

/** What a record says of its last verification (older records carry only `verifiedAt`). */
function verificationOf(r: BackupRecord): { at: string; result: 'ok' | 'failed' } | undefined {
  if (r.verification) return { at: r.verification.at, result: r.verification.result };
  if (r.verifiedAt) return { at: r.verifiedAt, result: 'ok' };
  return undefined;
}

/** The backup status of every environment on this server (or only `envFilter`), in fleet order. */
export async function envBackupStatus(run: ServerRun, envFilter?: string): Promise<EnvBackupStatus[]> {
  const now = run.now();
  const envs = run.fleet.environments.filter((e) => e.server === run.conn.server.name && (envFilter === undefined || e.name === envFilter));
  return Promise.all(
    envs.map(async (e): Promise<EnvBackupStatus> => {
      const records = await readRecords(run, e.name); // newest first
      const ok = records.find((r) => r.status === 'ok');
      let verified: { r: BackupRecord; v: { at: string; result: 'ok' | 'failed' } } | undefined;
      for (const r of records) {
        const v = verificationOf(r);
        if (v && (!verified || v.at > verified.v.at)) verified = { r, v };
      }
      const newest = records[0];
      const out: EnvBackupStatus = {
        env: e.name,
        server: run.conn.server.name,
        policy: Boolean(e.backup),
        lastOk: ok ? { id: ok.id, at: ok.finishedAt ?? ok.startedAt, ageS: ageOf(now, ok.finishedAt ?? ok.startedAt) } : null,
        lastVerification: verified ? { id: verified.r.id, at: verified.v.at, ageS: ageOf(now, verified.v.at), result: verified.v.result } : null,
      };
      if (newest && newest.status !== 'ok')
        out.newestNotOk = {
          id: newest.id,
          status: newest.status,
          at: newest.startedAt,
          ageS: ageOf(now, newest.startedAt),
          ...(newest.error ? { error: newest.error } : {}),
        };
      return out;
    }),
  );
}
