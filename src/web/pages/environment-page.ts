// An environment's page: its processes; per app the current release, a deploy form (a git ref or
// an image) and a rollback, each run as a background job whose steps stream into the page; the
// app's releases with what changed between them (image, git range, fleet) and a rollback to any
// earlier one; the live logs of a process with a search box; the environment's recent jobs; and
// maintenance on/off. Forms are shown only to callers the API's rules allow (authorize); the API
// checks again on every request. Sections whose API part is not running say "not available".
import { html } from 'hono/html';
import { authorize } from '../../server/auth/authorize.ts';
import type { Answer, EnvView, JobSummary, MeView, ProcessView, ReleaseView } from '../view-types.ts';
import { processTable } from './fleet-page.ts';
import { jobForm, jobsTable } from './job-parts.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { ago, badge, table, unavailable } from './parts.ts';

export interface EnvironmentData {
  env: EnvView;
  processes: ProcessView[];
  /** GET /api/envs/ENV/releases?app=APP per app. */
  releases: Record<string, Answer<{ releases?: ReleaseView[] }>>;
  jobs: Answer<{ jobs?: JobSummary[] }>;
  now: number;
}

type Decision = ReturnType<typeof authorize>;

export function environmentPage(props: Omit<LayoutProps, 'title' | 'current'> & { me: MeView }, d: EnvironmentData): Html {
  const { me } = props;
  const { env, processes } = d;
  const base = `/api/envs/${encodeURIComponent(env.name)}`;
  const may = (action: 'deploy' | 'rollback' | 'maintenance') => authorize(me, action, env.name, env);
  const maintenance = may('maintenance');
  const jobs = d.jobs.ok ? { ...d.jobs, data: { jobs: (d.jobs.data.jobs ?? []).filter((j) => j.env === env.name) } } : d.jobs;
  return layout(
    { ...props, title: `Environment ${env.name}`, current: 'fleet' },
    html`<p><a href="/">← Fleet</a></p>
<h1>${env.name} ${env.protected ? badge('protected', 'warn') : ''}</h1>
<h2 id="processes">Processes</h2>
${processTable(`Processes and releases in ${env.name}`, processes)}
<h2 id="apps">Deploy and roll back</h2>
<div class="grid">${env.apps.map((app) => appCard(env, app, processes, may('deploy'), may('rollback')))}</div>
<h2 id="releases">Releases</h2>
${env.apps.map((app) => releasesOf(env, app, d.releases[app], may('rollback'), d.now))}
<h2 id="logs">Live logs</h2>
${logsViewer(env, processes)}
<h2 id="jobs">Recent jobs</h2>
${jobsTable(jobs, d.now, 10, `Recent jobs in ${env.name}`)}
<h2 id="maintenance-h">Maintenance</h2>
${
  maintenance.ok
    ? html`<form class="row" data-api="${base}/maintenance" data-bools="on" method="post" action="${base}/maintenance" aria-labelledby="maintenance-h">
<button type="submit" name="on" value="true" class="danger">Turn maintenance on</button>
<button type="submit" name="on" value="false" class="secondary">Turn maintenance off</button>
<output></output>
</form>`
    : html`<p class="muted">${maintenance.reason}</p>`
}`,
  );
}

function appCard(env: EnvView, app: string, processes: ProcessView[], deploy: Decision, rollback: Decision): Html {
  const releases = [...new Set(processes.filter((p) => p.app === app && p.release).map((p) => p.release as string))];
  const id = `app-${app}`;
  const fields = { env: env.name, app };
  return html`<section class="card" aria-labelledby="${id}">
<h3 id="${id}">${app}</h3>
<p>Release: ${releases.length ? releases.join(', ') : html`<span class="muted">none running</span>`}</p>
${
  deploy.ok
    ? jobForm({
        fields: { action: 'deploy', ...fields },
        label: `Deploy ${app}`,
        button: `Deploy ${app}`,
        inputs: html`<label for="${id}-ref">Git ref <span class="muted">(branch, tag or commit)</span><input id="${id}-ref" name="ref" placeholder="main" autocapitalize="none" spellcheck="false"></label>
<label for="${id}-image">or image<input id="${id}-image" name="image" placeholder="registry/app:tag" autocapitalize="none" spellcheck="false"></label>`,
      })
    : html`<p class="muted">${deploy.reason}</p>`
}
${
  rollback.ok
    ? jobForm({
        fields: { action: 'rollback', ...fields },
        label: `Roll back ${app}`,
        button: `Roll back ${app}`,
        kind: 'danger',
        confirm: `Roll ${app} in ${env.name} back to its previous release?`,
      })
    : ''
}
</section>`;
}

function releasesOf(env: EnvView, app: string, a: Answer<{ releases?: ReleaseView[] }> | undefined, rollback: Decision, now: number): Html {
  const heading = html`<h3 id="releases-${app}">${app}</h3>`;
  if (!a) return html`${heading}<p class="muted">Not asked.</p>`;
  if (!a.ok) return html`${heading}${unavailable(`Releases of ${app}`, a)}`;
  const list = (a.data.releases ?? []).slice(0, 10);
  return html`${heading}${table(
    `Releases of ${app} in ${env.name}, newest first`,
    ['Release', 'Deployed', 'Source', 'What changed', ''],
    list.map(
      (r) => html`<tr>
<td><code>${r.id}</code> ${r.current ? badge('current', 'ok') : badge(r.status, r.status === 'failed' ? 'bad' : 'muted')}</td>
<td>${ago(r.at, now)}<br><span class="muted">by ${r.by}</span></td>
<td>${r.ref ? html`<code>${r.ref}</code>` : ''}${r.sha ? html` <span class="muted">${r.sha.slice(0, 12)}</span>` : ''}${r.ref || r.sha ? html`<br>` : ''}<span class="muted">${r.image}</span></td>
<td>${changes(r)}</td>
<td>${
        !r.current && rollback.ok && (r.status === 'previous' || r.status === 'live' || r.status === 'rolled-back')
          ? jobForm({
              fields: { action: 'rollback', env: env.name, app, release: r.id },
              label: `Roll ${app} back to ${r.id}`,
              button: 'Roll back to this',
              kind: 'secondary',
              confirm: `Roll ${app} in ${env.name} back to ${r.id}?`,
              className: 'inline',
            })
          : ''
      }</td>
</tr>`,
    ),
    `No release of ${app} yet.`,
  )}`;
}

function changes(r: ReleaseView): Html {
  const c = r.changes ?? {};
  const parts: Html[] = [];
  if (c.image) parts.push(html`<li>image <code>${c.image.from}</code> → <code>${c.image.to}</code></li>`);
  if (c.git) {
    const g = c.git;
    parts.push(
      html`<li>git <code>${g.from.slice(0, 12)}..${g.to.slice(0, 12)}</code>${
        g.unavailable
          ? html` <span class="muted">(${g.unavailable})</span>`
          : g.commits.length === 0
            ? html` <span class="muted">(no commits)</span>`
            : html`<ul class="commits">${g.commits.map((x) => html`<li><code>${x.sha.slice(0, 7)}</code> ${x.subject}</li>`)}${
                g.truncated ? html`<li class="muted">…</li>` : ''
              }</ul>`
      }</li>`,
    );
  }
  for (const f of c.fleet ?? []) parts.push(html`<li>fleet: ${f}</li>`);
  if (parts.length === 0) return html`<span class="muted">—</span>`;
  return html`<ul class="changes">${parts}</ul>`;
}

function logsViewer(env: EnvView, processes: ProcessView[]): Html {
  const targets = [...new Set(processes.map((p) => `${p.app}/${p.process}`))];
  for (const app of env.apps) if (!targets.some((t) => t.startsWith(`${app}/`))) targets.push(`${app}/`);
  if (targets.length === 0) return html`<p class="muted">No app to follow.</p>`;
  return html`<form class="logs stack" data-logs="/api/envs/${env.name}/apps/" method="get" action="#logs" aria-label="Live logs">
<div class="row">
<label for="logs-target">Process<select id="logs-target" name="target">${targets.map(
    (t) => html`<option value="${t}">${t.endsWith('/') ? `${t.slice(0, -1)} (every process)` : t}</option>`,
  )}</select></label>
<label for="logs-q">Search<input id="logs-q" name="q" type="search" placeholder="text to look for" autocapitalize="none" spellcheck="false"></label>
<button type="submit">Follow</button>
<button type="button" class="secondary" data-stop disabled>Stop</button>
</div>
<output></output>
<ol class="log" role="log" aria-label="Log lines" tabindex="0"></ol>
</form>`;
}
