// Human view of a finished `slipway deploy` or `slipway rollback`: the release now live and its URLs.
import type { DeployResult } from '../../workflows/deploy.ts';
import { fmtMs } from '../../workflows/reporter.ts';

export function renderSwitch(res: DeployResult, verb: 'deployed' | 'rolled back to'): string {
  return `${res.app} ${verb} release ${res.release} in ${res.env} on ${res.server} (${fmtMs(res.durationMs)})\n${res.urls.map((u) => `  ${u}\n`).join('')}`;
}
