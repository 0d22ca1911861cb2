// The backups page: per environment, the last good backup's age, the newest backup's status and
// the last verification (restore drill) from GET /api/fleet, then its backups (GET
// /api/envs/ENV/backups: age, size, status, verification) and a "verify now" button that runs
// `backup verify` as a background job whose steps stream into the page.
import { html } from 'hono/html';
import { authorize } from '../../server/auth/authorize.ts';
import { formatAge, formatBytes } from '../format.ts';
import type { Answer, BackupView, EnvBackupsView, EnvView, MeView } from '../view-types.ts';
import { jobForm } from './job-parts.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { ago, badge, envHref, table, unavailable } from './parts.ts';

export interface BackupsData {
  envs: EnvView[];
  summaries: BackupView[];
  /** GET /api/envs/ENV/backups per environment. */
  lists: Record<string, Answer<EnvBackupsView>>;
  now: number;
}

/** Backups listed per environment (the newest). */
export const BACKUPS_SHOWN = 10;

export function backupsPage(props: Omit<LayoutProps, 'title' | 'current'> & { me: MeView }, d: BackupsData): Html {
  return layout(
    { ...props, title: 'Backups', current: 'backups' },
    html`<h1>Backups</h1>
${d.envs.length === 0 ? html`<p class="muted">No environments.</p>` : ''}
<div class="stack">${d.envs.map((e) =>
      section(
        props.me,
        e,
        d.summaries.find((b) => b.env === e.name),
        d.lists[e.name],
        d.now,
      ),
    )}</div>`,
  );
}

function section(me: MeView, env: EnvView, b: BackupView | undefined, list: Answer<EnvBackupsView> | undefined, now: number): Html {
  const id = `backups-${env.name}`;
  const may = authorize(me, 'backup', env.name, env);
  const hasBackup = Boolean(b?.lastOk) || (list?.ok === true && (list.data.backups ?? []).length > 0);
  return html`<section class="card" aria-labelledby="${id}">
<h2 id="${id}"><a href="${envHref(env.name)}">${env.name}</a>${b && !b.policy ? html` <span class="muted">(no backup policy)</span>` : ''}</h2>
${b ? summary(b) : ''}
${list === undefined ? '' : list.ok ? backupTable(env.name, list.data, now) : unavailable(`Backups of ${env.name}`, list)}
${
  may.ok && hasBackup
    ? jobForm({ fields: { action: 'backup-verify', env: env.name }, label: `Verify the newest backup of ${env.name}`, button: 'Verify now', kind: 'secondary' })
    : ''
}
</section>`;
}

function summary(b: BackupView): Html {
  const status = b.newestNotOk
    ? badge(b.newestNotOk.status, b.newestNotOk.status === 'running' ? 'warn' : b.newestNotOk.status)
    : b.lastOk
      ? badge('ok')
      : badge('none', 'muted');
  return html`<dl class="facts">
<dt>Server</dt><dd>${b.server}</dd>
<dt>Last good backup</dt><dd>${b.lastOk ? html`${formatAge(b.lastOk.ageS)} <span class="muted">${b.lastOk.id}</span>` : html`<span class="bad">never</span>`}</dd>
<dt>Newest</dt><dd>${status}${b.newestNotOk?.error ? html` <span class="muted">${b.newestNotOk.error}</span>` : ''}</dd>
<dt>Last verification</dt><dd>${
    b.lastVerification
      ? html`${badge(b.lastVerification.result, b.lastVerification.result)} ${formatAge(b.lastVerification.ageS)}`
      : html`<span class="muted">never</span>`
  }</dd>
</dl>`;
}

function backupTable(env: string, v: EnvBackupsView, now: number): Html {
  const rows = (v.backups ?? []).slice(0, BACKUPS_SHOWN);
  return html`${(v.errors ?? []).map((e) => html`<p class="bad">${e.server}: ${e.error}</p>`)}${table(
    `Backups of ${env}, newest first`,
    ['Backup', 'Taken', 'Size', 'Status', 'Verified'],
    rows.map(
      (b) => html`<tr>
<td><code>${b.id}</code></td>
<td>${ago(b.at, now)}</td>
<td>${formatBytes(b.sizeBytes)}</td>
<td>${badge(b.status)}${b.error ? html` <span class="muted">${b.error}</span>` : ''}</td>
<td>${
        b.verifiedAt
          ? html`${badge(b.verifyOk === false ? 'failed' : 'ok', b.verifyOk === false ? 'failed' : 'ok')} ${ago(b.verifiedAt, now)}${
              b.verifyDetail ? html` <span class="muted">${b.verifyDetail}</span>` : ''
            }`
          : html`<span class="muted">never</span>`
      }</td>
</tr>`,
    ),
    'No backups yet.',
  )}`;
}
