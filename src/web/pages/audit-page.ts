// The audit log (admins): every API action with who, what, where, the outcome and the status,
// newest first.
import { html } from 'hono/html';
import type { ApiAuditEntry } from '../../server/ops.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { badge, table } from './parts.ts';

/** How many entries the page shows (the newest). */
export const AUDIT_PAGE_ROWS = 500;

export function auditPage(props: Omit<LayoutProps, 'title' | 'current'>, entries: ApiAuditEntry[]): Html {
  const newest = entries.slice(-AUDIT_PAGE_ROWS).reverse();
  return layout(
    { ...props, title: 'Audit log', current: 'audit' },
    html`<h1>Audit log</h1>
${entries.length > newest.length ? html`<p class="muted">The newest ${newest.length} of ${entries.length} entries.</p>` : ''}
${table(
  'Audit log, newest first',
  ['When (UTC)', 'Who', 'Action', 'Where', 'Outcome', 'Detail'],
  newest.map(
    (e) => html`<tr>
<td><time datetime="${e.at}">${e.at.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')}</time></td>
<td>${e.by}</td>
<td>${e.action}</td>
<td>${[e.app, e.env].filter(Boolean).join(' in ') || '—'}</td>
<td>${badge(e.outcome)} <span class="muted">${e.status}</span></td>
<td>${e.detail ?? ''}</td>
</tr>`,
  ),
  'Nothing recorded yet.',
)}`,
  );
}
