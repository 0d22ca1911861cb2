// The human views of `slipway move`: what a run did, and `--status`.
import type { MoveResult, MoveStatus } from '../../workflows/move/move-run.ts';
import type { MoveRecord } from '../../workflows/move/move-record.ts';

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function span(ms: number): string {
  const a = Math.abs(ms);
  if (a < 120_000) return `${Math.round(a / 1000)} s`;
  if (a < 7_200_000) return `${Math.round(a / 60_000)} min`;
  if (a < 172_800_000) return `${(a / 3_600_000).toFixed(1)} h`;
  return `${(a / 86_400_000).toFixed(1)} days`;
}

function recordLines(rec: MoveRecord, now: number): string[] {
  const out = [`move ${rec.env}: ${rec.from} → ${rec.to}, ${rec.phase} (started ${rec.startedAt})`];
  for (const d of rec.databases)
    out.push(`  database ${d.database}: ${d.method} (${d.reason})${d.copyAtCutover.length ? `; at the cutover: ${d.copyAtCutover.join(', ')}` : ''}`);
  for (const v of rec.volumes) out.push(`  volume ${v.volume}: ${v.files} files`);
  if (rec.testHosts.length) out.push(`  test hostnames: ${rec.testHosts.join(', ')}`);
  if (rec.cutover) {
    const compare = rec.cutover.compare;
    const rows = compare.reduce((n, r) => n + r.srcRows, 0);
    const bad = compare.filter((r) => !r.equal).length;
    out.push(
      `  cutover ${rec.cutover.at}: writes held ${secs(rec.cutover.pauseMs)}; ${compare.length} tables, ${rows} rows compared: ${bad ? `${bad} differ` : 'identical'}`,
    );
    out.push(`  writes on ${rec.to} flow back to ${rec.from}: ${rec.cutover.reverse ? 'yes (a rollback loses none)' : 'no (dump and restore)'}`);
  }
  if (rec.phase === 'cut-over' && rec.rollbackUntil) {
    const left = Date.parse(rec.rollbackUntil) - now;
    out.push(
      left > 0
        ? `  rollback window: ${span(left)} left (until ${rec.rollbackUntil}); slipway move ${rec.env} --finish after that`
        : `  stable period over since ${rec.rollbackUntil}: slipway move ${rec.env} --finish removes it from ${rec.from}`,
    );
  }
  return out;
}

export function renderMoveResult(r: MoveResult, now: number): string {
  const lines = [...r.ran.map((s) => `${s.stage}: done in ${secs(s.ms)}`), ...recordLines(r.record, now)];
  const rec = r.record;
  if (rec.phase === 'running') lines.push(`next: slipway move ${rec.env} --resume`);
  if (rec.phase === 'cut-over')
    lines.push(`${rec.to} serves ${rec.env}. Set environments.${rec.env}.server: ${rec.to} in the fleet file if it does not say so yet.`);
  if (rec.phase === 'rolled-back') lines.push(`${rec.from} serves ${rec.env} again.`);
  return `${lines.join('\n')}\n`;
}

export function renderMoveStatus(s: MoveStatus, now: number): string {
  if (!s.record) return 'no move recorded for this environment\n';
  const lines = recordLines(s.record, now);
  if (s.next) lines.push(`  next stage: ${s.next}`);
  for (const l of s.lag)
    lines.push(`  replication ${l.database} (${l.direction}): ${l.bytes === null ? `not running (${l.error})` : `${l.bytes} bytes behind`}`);
  for (const w of s.workers) lines.push(`  workers on ${w.server}: ${w.running.length ? w.running.join(', ') : 'none'}`);
  for (const h of s.record.history.slice(-8)) lines.push(`  ${h.at}  ${h.event}`);
  return `${lines.join('\n')}\n`;
}
