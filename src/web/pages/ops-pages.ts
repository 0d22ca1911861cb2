// The read-only operations pages: scheduled jobs with their next runs and last run
// (GET /api/schedules), certificates and their expiry (GET /api/certs), environment locks
// (GET /api/locks) and alerts (GET /api/alerts). A server that could not be read is a row with its
// error; a route not served (its part not running) is "not available".
import { html } from 'hono/html';
import { formatDuration } from '../format.ts';
import type { AlertView, Answer, CertView, Listed, LockView, ScheduleView, ServerError } from '../view-types.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { ago, badge, envHref, table, unavailable, utc } from './parts.ts';

type Props = Omit<LayoutProps, 'title' | 'current'>;

/** Certificates expiring within this many days are flagged (the default alert rule's window). */
export const CERT_WARN_DAYS = 14;

const isError = (row: object): row is ServerError => 'error' in row && !('domain' in row) && !('holder' in row);

export function schedulesPage(props: Props, a: Answer<{ jobs?: ScheduleView[] }>, now: number): Html {
  return layout(
    { ...props, title: 'Schedules', current: 'schedules' },
    html`<h1>Schedules</h1>
${
  !a.ok
    ? unavailable('Schedules', a)
    : table(
        'Scheduled jobs',
        ['Job', 'Where', 'Cron', 'Next runs (UTC)', 'Last run'],
        (a.data.jobs ?? []).map(
          (j) => html`<tr>
<td>${j.kind}${j.running ? html` ${badge('running', 'warn')}` : ''}</td>
<td>${j.env ? html`<a href="${envHref(j.env)}">${j.env}</a>` : (j.server ?? '—')}</td>
<td><code>${j.cron}</code>${j.problem ? html`<br><span class="bad">${j.problem}</span>` : ''}</td>
<td>${(j.next ?? []).length ? html`<ul class="plain">${j.next.map((n) => html`<li>${utc(n)}</li>`)}</ul>` : '—'}</td>
<td>${
            j.lastRun
              ? html`${badge(j.lastRun.outcome, j.lastRun.outcome)} ${ago(j.lastRun.at, now)} <span class="muted">in ${formatDuration(j.lastRun.durationMs / 1000)}${
                  j.lastRun.trigger && j.lastRun.trigger !== 'schedule' ? `, ${j.lastRun.trigger}` : ''
                }</span>${j.lastRun.error ? html`<br><span class="bad">${j.lastRun.error}</span>` : ''}`
              : html`<span class="muted">not yet</span>`
          }</td>
</tr>`,
        ),
        'Nothing is scheduled: the fleet file has no backup schedule or certificate to renew.',
      )
}`,
  );
}

export function certsPage(props: Props, a: Answer<{ certs?: Listed<CertView>[] }>): Html {
  const rows = a.ok ? [...(a.data.certs ?? [])].sort((x, y) => daysOf(x) - daysOf(y)) : [];
  return layout(
    { ...props, title: 'Certificates', current: 'certs' },
    html`<h1>Certificates</h1>
${
  !a.ok
    ? unavailable('Certificates', a)
    : table(
        'Certificates, soonest expiry first',
        ['Domain', 'Server', 'Environment', 'Expires (UTC)', 'Days left', 'Issuer'],
        rows.map((c) =>
          isError(c)
            ? html`<tr><td>—</td><td>${c.server}</td><td colspan="4" class="bad">${c.error}</td></tr>`
            : html`<tr>
<td>${c.domain}${c.domains.length > 1 ? html` <span class="muted">+${c.domains.length - 1}</span>` : ''}</td>
<td>${c.server}</td>
<td>${c.env ?? '—'}</td>
<td>${utc(c.notAfter)}</td>
<td>${badge(String(c.daysLeft), c.daysLeft < 0 ? 'bad' : c.daysLeft <= CERT_WARN_DAYS ? 'warn' : 'ok')}</td>
<td>${c.issuer} <span class="muted">(${c.source})</span></td>
</tr>`,
        ),
        'No certificates: every environment runs without TLS, or none was issued yet.',
      )
}`,
  );
}

const daysOf = (c: Listed<CertView>) => (isError(c) ? -1e9 : c.daysLeft);

export function locksPage(props: Props, a: Answer<{ locks?: Listed<LockView>[] }>, now: number): Html {
  return layout(
    { ...props, title: 'Locks', current: 'locks' },
    html`<h1>Locks</h1>
<p class="muted">An environment's lock is held while a deploy, rollback, backup or restore runs there, from the CLI or from here.</p>
${
  !a.ok
    ? unavailable('Locks', a)
    : table(
        'Environment locks held',
        ['Environment', 'Server', 'Holder', 'Doing', 'Since'],
        (a.data.locks ?? []).map((l) =>
          isError(l)
            ? html`<tr><td>—</td><td>${l.server}</td><td colspan="3" class="bad">${l.error}</td></tr>`
            : html`<tr>
<td><a href="${envHref(l.env)}">${l.env}</a></td>
<td>${l.server}</td>
<td>${l.holder} <span class="muted">${l.host} pid ${l.pid}</span>${l.stale ? html` ${badge('stale', 'bad')}` : ''}</td>
<td>${l.command}</td>
<td>${ago(l.since, now)}</td>
</tr>`,
        ),
        'No lock is held.',
      )
}`,
  );
}

export function alertsPage(props: Props, a: Answer<{ alerts?: AlertView[] }>, now: number): Html {
  return layout(
    { ...props, title: 'Alerts', current: 'alerts' },
    html`<h1>Alerts</h1>
${
  !a.ok
    ? unavailable('Alerts', a)
    : table(
        'Alerts',
        ['Alert', 'Severity', 'Status', 'Since', 'Detail'],
        (a.data.alerts ?? []).map(
          (x) => html`<tr>
<td>${x.title} <span class="muted">${x.rule}</span></td>
<td>${badge(x.severity, x.severity === 'critical' ? 'bad' : 'warn')}</td>
<td>${badge(x.status, x.status === 'firing' ? 'bad' : 'warn')}</td>
<td>${ago(x.since, now)}</td>
<td>${x.detail ?? ''}</td>
</tr>`,
        ),
        'No alert is firing.',
      )
}`,
  );
}
