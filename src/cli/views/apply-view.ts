// Human summary of what `up` or `down` did on each server: the actions applied, counted by kind,
// the deletions named, the data kept (and why), and the app changes left to deploy. Pure.
import type { Plan } from '../../plan/diff/plan.ts';
import type { AppliedAction } from '../../workflows/apply.ts';

export interface ServerApplied {
  server: string;
  plan: Plan;
  applied: AppliedAction[];
}

export function renderApplied(results: readonly ServerApplied[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const s = r.plan.summary;
    lines.push(
      r.applied.length === 0
        ? `${r.server}: nothing to change`
        : `${r.server}: ${r.applied.length} action${r.applied.length === 1 ? '' : 's'} applied (${s.create} created, ${s.update} updated, ${s.replace} replaced, ${s.delete} deleted)`,
    );
    for (const a of r.applied.filter((x) => x.kind === 'delete' && x.type !== 'route')) {
      lines.push(`  - ${a.type} ${a.target ?? a.id}: ${a.outcome}${a.destructive ? ' [destructive]' : ''}`);
    }
    for (const k of r.plan.kept) lines.push(`  = kept ${k.type} ${k.id}: ${k.reason}`);
    const later = r.plan.deploy.length;
    if (later) lines.push(`  ${later} app container change${later === 1 ? '' : 's'} left to deploy (see slipway plan; run slipway deploy APP ENV)`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
