// The human view of `slipway backup verify`: one line per object (what was compared, how long it
// took, or what did not match), then the verdict with its duration and where it was read from.
import type { VerifyResult } from '../../workflows/backup/verify.ts';
import { fmtMs } from '../../workflows/reporter.ts';

export function renderVerify(r: VerifyResult): string {
  const lines: string[] = [];
  for (const o of r.objects) {
    if (o.ok) lines.push(`  ok      ${o.label}: ${o.summary} (${fmtMs(o.ms)})`);
    else {
      lines.push(`  FAILED  ${o.label} (${fmtMs(o.ms)})`);
      for (const m of o.mismatches.slice(0, 20)) lines.push(`          ${m}`);
      if (o.mismatches.length > 20) lines.push(`          … and ${o.mismatches.length - 20} more (see --json)`);
    }
  }
  lines.push(
    `backup ${r.id} of ${r.env}: ${r.result === 'ok' ? 'verified' : 'FAILED verification'} in ${fmtMs(r.durationMs)} (read from ${r.destination}, restored on ${r.server})${r.recorded ? '' : ' — not recorded: the backup was removed meanwhile'}`,
  );
  return `${lines.join('\n')}\n`;
}
