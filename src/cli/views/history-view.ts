// Human views of the history kept on the servers: `slipway releases APP ENV` and `slipway audit`.
import type { ServerAuditEntry } from '../../workflows/audit-log.ts';
import type { ReleaseHistory } from '../../workflows/releases.ts';
import { table } from './table.ts';

export function renderReleases(h: ReleaseHistory): string {
  if (h.releases.length === 0) return `${h.app} has never been deployed to ${h.env}. Deploy it with: slipway deploy ${h.app} ${h.env}\n`;
  return table(
    ['RELEASE', 'STATUS', 'REF', 'GIT SHA', 'DEPLOYED', 'BY', 'NOTE'],
    h.releases.map((r) => [r.release, r.status, r.ref ?? '', r.gitSha?.slice(0, 12) ?? '', r.deployedAt, r.deployedBy, r.note ?? '']),
  );
}

export function renderAudit(entries: readonly ServerAuditEntry[]): string {
  return table(
    ['AT', 'SERVER', 'BY', 'ACTION', 'ENV', 'APP', 'RELEASE', 'OUTCOME', 'DETAIL'],
    entries.map((e) => [e.at, e.server, e.by, e.action, e.env ?? '', e.app ?? '', e.release ?? '', e.outcome, e.detail ?? '']),
  );
}
