// The backups page: per environment, the last good backup's age and size, the newest backup's
// status, the last verification (restore drill) and its result, and a "verify now" button.
import { html } from 'hono/html';
import { authorize } from '../../server/auth/authorize.ts';
import { formatAge, formatBytes } from '../format.ts';
import type { BackupView, EnvView, MeView } from '../view-types.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { badge, envHref, table } from './parts.ts';

export function backupsPage(props: Omit<LayoutProps, 'title' | 'current'> & { me: MeView }, backups: BackupView[], envs: EnvView[]): Html {
  return layout(
    { ...props, title: 'Backups', current: 'backups' },
    html`<h1>Backups</h1>
${table(
  'Backups per environment',
  ['Environment', 'Server', 'Last good backup', 'Size', 'Status', 'Last verification', 'Verify'],
  backups.map((b) =>
    row(
      props.me,
      b,
      envs.find((e) => e.name === b.env),
    ),
  ),
  'No environment reports backups.',
)}`,
  );
}

function row(me: MeView, b: BackupView, env: EnvView | undefined): Html {
  const status = b.newestNotOk
    ? badge(b.newestNotOk.status, b.newestNotOk.status === 'running' ? 'warn' : b.newestNotOk.status)
    : b.lastOk
      ? badge('ok')
      : badge('none', 'muted');
  const verify = `/api/envs/${encodeURIComponent(b.env)}/backups/verify`;
  const may = authorize(me, 'backup', b.env, env);
  return html`<tr>
<th scope="row"><a href="${envHref(b.env)}">${b.env}</a>${b.policy ? '' : html` <span class="muted">(no policy)</span>`}</th>
<td>${b.server}</td>
<td>${b.lastOk ? html`${formatAge(b.lastOk.ageS)} <span class="muted">${b.lastOk.id}</span>` : html`<span class="bad">never</span>`}</td>
<td>${formatBytes(b.sizeBytes)}</td>
<td>${status}${b.newestNotOk?.error ? html` <span class="muted">${b.newestNotOk.error}</span>` : ''}</td>
<td>${b.lastVerification ? html`${badge(b.lastVerification.result, b.lastVerification.result)} ${formatAge(b.lastVerification.ageS)}` : html`<span class="muted">never</span>`}</td>
<td>${
    may.ok && b.lastOk
      ? html`<form data-api="${verify}" method="post" action="${verify}"><button type="submit" class="secondary" aria-label="Verify the last backup of ${b.env} now">Verify now</button><output></output></form>`
      : html`<span class="muted">—</span>`
  }</td>
</tr>`;
}
