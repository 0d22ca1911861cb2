// The fleet page: servers (memory, disk and load when the API samples them), then each
// environment with its apps' processes: health, state, release, uptime and memory against limit.
import { html } from 'hono/html';
import { formatBytes, formatDuration } from '../format.ts';
import type { FleetPageData, ProcessView } from '../view-types.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { badge, envHref, table, usage } from './parts.ts';

export function fleetPage(props: Omit<LayoutProps, 'title' | 'current'>, fleet: FleetPageData): Html {
  return layout(
    { ...props, title: 'Fleet', current: 'fleet' },
    html`<h1>Fleet</h1>
<h2 id="servers">Servers</h2>
${servers(fleet)}
<h2 id="environments">Environments</h2>
${fleet.environments.length === 0 ? html`<p class="muted">No environments.</p>` : ''}
${fleet.environments.map(
  (e) => html`<section class="card" aria-labelledby="env-${e.name}">
<h3 id="env-${e.name}"><a href="${envHref(e.name)}">${e.name}</a> ${e.protected ? badge('protected', 'warn') : ''}</h3>
${processTable(
  `Processes in ${e.name}`,
  fleet.processes.filter((p) => p.env === e.name),
)}
</section>`,
)}`,
  );
}

function servers(fleet: FleetPageData): Html {
  if (fleet.servers && fleet.servers.length > 0) {
    return html`<div class="grid">${fleet.servers.map(
      (s) => html`<section class="card" aria-label="Server ${s.server}"><h3>${s.server}</h3>
<dl>
<dt>Memory</dt><dd>${usage(s.memoryUsedBytes, s.memoryTotalBytes, `Memory of ${s.server}`)}</dd>
<dt>Disk</dt><dd>${usage(s.diskUsedBytes, s.diskTotalBytes, `Disk of ${s.server}`)}</dd>
<dt>Load (1 min)</dt><dd>${s.load1.toFixed(2)}</dd>
</dl></section>`,
    )}</div>`;
  }
  const names = [...new Set(fleet.processes.map((p) => p.server))];
  if (names.length === 0) return html`<p class="muted">No servers report yet.</p>`;
  return html`<ul>${names.map((n) => html`<li>${n} <span class="muted">(no memory, disk or CPU samples from the API yet)</span></li>`)}</ul>`;
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
