// The fleet page: alerts firing (when the metrics part serves them), servers with memory, disk and
// CPU load (GET /api/servers), then each environment with its apps' processes: health, state,
// release, uptime and memory against limit. A part that is not running shows as "not available".
import { html } from 'hono/html';
import { formatBytes, formatDuration } from '../format.ts';
import type { AlertView, Answer, FleetPageData, ProcessView, ServerView } from '../view-types.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { badge, envHref, table, unavailable, usage } from './parts.ts';

export interface FleetExtras {
  servers: Answer<{ servers?: ServerView[] }>;
  alerts: Answer<{ alerts?: AlertView[] }>;
}

export function fleetPage(props: Omit<LayoutProps, 'title' | 'current'>, fleet: FleetPageData, extras: FleetExtras): Html {
  return layout(
    { ...props, title: 'Fleet', current: 'fleet' },
    html`<h1>Fleet</h1>
${firing(extras.alerts)}
${(fleet.unreachable ?? []).map(
  (u) =>
    html`<p class="notice bad" role="alert"><strong>${u.server} could not be read:</strong> ${u.error}${u.hint ? html` <span class="muted">(${u.hint})</span>` : ''}</p>`,
)}
<h2 id="servers">Servers</h2>
${servers(fleet, extras.servers)}
<h2 id="environments">Environments</h2>
${fleet.environments.length === 0 ? html`<p class="muted">No environments.</p>` : ''}
<div class="stack">
${fleet.environments.map(
  (e) => html`<section class="card" aria-labelledby="env-${e.name}">
<h3 id="env-${e.name}"><a href="${envHref(e.name)}">${e.name}</a> ${e.protected ? badge('protected', 'warn') : ''} <span class="muted">${e.apps.join(', ')}</span></h3>
${processTable(
  `Processes in ${e.name}`,
  fleet.processes.filter((p) => p.env === e.name),
)}
</section>`,
)}
</div>`,
  );
}

function firing(a: FleetExtras['alerts']): Html | string {
  if (!a.ok) return '';
  const all = a.data.alerts ?? [];
  const open = all.filter((x) => x.status === 'firing');
  const pending = all.length - open.length;
  if (open.length === 0)
    return html`<p class="notice ok" role="status">No alert is firing.${pending > 0 ? html` <a href="/alerts">${pending} pending</a>` : ''}</p>`;
  return html`<div class="notice bad" role="alert"><strong>${open.length} alert${open.length === 1 ? '' : 's'} firing:</strong> ${open
    .slice(0, 3)
    .map((x, i) => html`${i ? '; ' : ''}${x.title}`)}${open.length > 3 ? '…' : ''} <a href="/alerts">See the alerts</a></div>`;
}

function servers(fleet: FleetPageData, a: FleetExtras['servers']): Html {
  const list = a.ok && Array.isArray(a.data.servers) ? a.data.servers : undefined;
  if (list && list.length > 0) {
    return html`<div class="grid">${list.map(
      (s) => html`<section class="card" aria-label="Server ${s.name}"><h3>${s.name} ${s.ok ? badge('up', 'ok') : badge('unreachable', 'bad')}</h3>
${
  s.ok
    ? html`<dl class="facts">
<dt>Memory</dt><dd>${usage(s.memory?.usedBytes, s.memory?.totalBytes, `Memory of ${s.name}`)}</dd>
<dt>Disk</dt><dd>${usage(s.disk?.usedBytes, s.disk?.totalBytes, `Disk of ${s.name}`)}</dd>
<dt>CPU</dt><dd>${typeof s.load1 === 'number' ? `load ${s.load1.toFixed(2)}` : '—'}${typeof s.cpus === 'number' ? ` on ${s.cpus} CPU${s.cpus === 1 ? '' : 's'}` : ''}</dd>
</dl>${s.error ? html`<p class="muted">${s.error}</p>` : ''}`
    : html`<p class="bad">${s.error ?? 'could not be reached'}</p>`
}</section>`,
    )}</div>`;
  }
  const names = [...new Set(fleet.processes.map((p) => p.server))];
  return html`${a.ok ? '' : unavailable('Server memory, disk and CPU', a)}
${names.length === 0 ? html`<p class="muted">No servers report yet.</p>` : html`<ul>${names.map((n) => html`<li>${n}</li>`)}</ul>`}`;
}

/** The processes of one environment (also used by the environment page). */
export function processTable(caption: string, rows: ProcessView[]): Html {
  return table(
    caption,
    ['App', 'Process', 'Server', 'Health', 'State', 'Release', 'Uptime', 'Memory'],
    rows.map(
      (p) => html`<tr>
<td>${p.app}</td>
<td>${p.process}${p.replica > 0 ? html` <span class="muted">#${p.replica}</span>` : ''}</td>
<td>${p.server}</td>
<td>${badge(p.health)}</td>
<td>${p.state}</td>
<td>${p.release ?? '—'}</td>
<td>${formatDuration(p.uptimeS)}</td>
<td>${p.memLimit ? usage(p.memUsage, p.memLimit, `Memory of ${p.app} ${p.process}`) : formatBytes(p.memUsage)}</td>
</tr>`,
    ),
    'No processes.',
  );
}
