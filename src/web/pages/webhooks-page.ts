// The git webhook deliveries (GET /api/webhooks/deliveries), newest first: which push or tag came
// from which provider, what was done with it (deployed, refused and why, ignored), and per
// environment the deploy's status and release. Admins get a "redeliver" button.
import { html } from 'hono/html';
import type { Answer, Delivery, MeView } from '../view-types.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { ago, badge, envHref, table, unavailable } from './parts.ts';

/** Deliveries the page shows (the newest). */
export const DELIVERIES_SHOWN = 100;

export function webhooksPage(props: Omit<LayoutProps, 'title' | 'current'> & { me: MeView }, a: Answer<{ deliveries?: Delivery[] }>, now: number): Html {
  const admin = props.me.role === 'admin' && props.me.envs === undefined;
  return layout(
    { ...props, title: 'Webhook deliveries', current: 'webhooks' },
    html`<h1>Webhook deliveries</h1>
${
  !a.ok
    ? unavailable('Webhook deliveries', a)
    : table(
        'Webhook deliveries, newest first',
        ['Received', 'From', 'Push', 'Outcome', 'Environments', ''],
        (a.data.deliveries ?? []).slice(0, DELIVERIES_SHOWN).map(
          (d) => html`<tr>
<td>${ago(new Date(d.receivedAt).toISOString(), now)}<br><code class="muted">${d.id}</code></td>
<td>${d.provider ?? '—'} <span class="muted">${d.event ?? ''}</span></td>
<td>${d.push ? html`${d.push.kind} <code>${d.push.name}</code> <span class="muted">${d.push.sha.slice(0, 7)}</span>` : '—'}</td>
<td>${badge(d.verdict, d.verdict === 'refused' || d.verdict === 'failed' ? 'bad' : d.verdict === 'ignored' ? 'muted' : 'ok')}${
            d.reason ? html`<br><span class="muted">${d.reason}</span>` : ''
          }</td>
<td>${
            d.targets.length + d.skipped.length === 0
              ? '—'
              : html`<ul class="plain">${d.targets.map(
                  (t) =>
                    html`<li><a href="${envHref(t.env)}">${t.env}</a> ${badge(t.status, t.status === 'failed' ? 'bad' : t.status === 'deployed' ? 'ok' : 'muted')}${
                      t.release ? html` <code>${t.release}</code>` : ''
                    }${t.error ? html` <span class="bad">${t.error}</span>` : ''}</li>`,
                )}${d.skipped.map((s) => html`<li>${s.env} ${badge('skipped', 'muted')} <span class="muted">${s.reason}</span></li>`)}</ul>`
          }</td>
<td>${
            admin && d.push
              ? html`<form data-api="${redeliver(d.id)}" method="post" action="${redeliver(d.id)}"><button type="submit" class="secondary" aria-label="Redeliver ${d.id}">Redeliver</button><output></output></form>`
              : ''
          }</td>
</tr>`,
        ),
        'No delivery yet.',
      )
}`,
  );
}

const redeliver = (id: string) => `/api/webhooks/deliveries/${encodeURIComponent(id)}/redeliver`;
