// The backup records of an environment on its server (backup/record.ts), read and written through
// the state store. A removed record is an empty file (the archive API cannot delete): skipped.
import { type BackupRecord, recordDir, recordPath } from '../../backup/record.ts';
import type { ServerRun } from '../server-run.ts';

export async function readRecords(run: ServerRun, env: string): Promise<BackupRecord[]> {
  const files = await run.store.readDir(recordDir(env));
  const out: BackupRecord[] = [];
  for (const [, b] of files) {
    if (!b.length) continue;
    try {
      const r = JSON.parse(b.toString('utf8')) as BackupRecord;
      if (r.format === 'slipway-backup-record/1' && r.env === env) out.push(r);
    } catch {
      // a torn file is not a record
    }
  }
  return out.sort((a, b) => b.id.localeCompare(a.id));
}

export async function readRecord(run: ServerRun, env: string, id: string): Promise<BackupRecord | undefined> {
  const b = await run.store.read(recordPath(env, id));
  return b?.length ? (JSON.parse(b.toString('utf8')) as BackupRecord) : undefined;
}

export async function writeRecord(run: ServerRun, r: BackupRecord): Promise<void> {
  await run.store.writeJson(recordPath(r.env, r.id), r);
}
