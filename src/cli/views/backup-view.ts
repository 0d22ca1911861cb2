// Human views of backups: the outcome of one backup, the list (`slipway backups`) with age, size,
// status, where each is complete and its last verification, and prune's decisions.
import type { BackupRecord } from '../../backup/record.ts';
import { formatSize } from '../../util/size.ts';
import { fmtMs } from '../../workflows/reporter.ts';
import type { BackupRow } from '../../workflows/backup/list.ts';
import type { PruneResult } from '../../workflows/backup/prune.ts';
import { table } from './table.ts';

export function formatAge(s: number): string {
  if (s < 90) return `${s}s`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function renderBackupOutcome(r: BackupRecord): string {
  const ok = r.destinations.filter((d) => d.status === 'ok').map((d) => d.name);
  const lines = [
    `backup ${r.id} of ${r.env}: ${r.status} — ${r.objects?.length ?? 0} object(s), ${formatSize(r.bytes)} encrypted (${formatSize(r.plainBytes)} read)${ok.length ? `, complete in ${ok.join(', ')}` : ''}`,
  ];
  for (const d of r.destinations.filter((x) => x.status === 'failed')) lines.push(`  ${d.name}: failed — ${d.error ?? 'unknown error'}`);
  return `${lines.join('\n')}\n`;
}

export function renderBackupList(rows: readonly BackupRow[]): string {
  if (rows.length === 0) return 'no backups recorded\n';
  return table(
    ['ID', 'ENV', 'AGE', 'SIZE', 'STATUS', 'COMPLETE IN', 'VERIFIED'],
    rows.map((r) => [
      r.id,
      r.env,
      formatAge(r.ageS),
      formatSize(r.bytes),
      r.status,
      r.complete.join(',') || '-',
      r.verification
        ? `${r.verification.result} ${r.verification.at.slice(0, 16).replace('T', ' ')} (${fmtMs(r.verification.durationMs)})`
        : r.verifiedAt
          ? `ok ${r.verifiedAt.slice(0, 16).replace('T', ' ')}`
          : 'never',
    ]),
  );
}

export function renderPrune(p: PruneResult): string {
  const rows = p.decisions.map((d) => [
    d.env,
    d.destination,
    d.id,
    d.action === 'keep' ? `keep (${d.reasons.join(', ')})` : p.dryRun ? 'would delete' : 'deleted',
    formatSize(d.bytes),
  ]);
  const out = [rows.length ? table(['ENV', 'DESTINATION', 'ID', 'ACTION', 'SIZE'], rows) : 'no complete backups to consider\n'];
  for (const l of p.leftovers) out.push(`${p.dryRun ? 'would remove' : 'removed'} ${l.objects} object(s) of unfinished backup ${l.id} from ${l.destination}\n`);
  for (const f of p.failed) out.push(`${f.env} in ${f.destination}: not pruned — ${f.error}\n`);
  if (p.dryRun) out.push('dry run: nothing was deleted\n');
  return out.join('');
}
