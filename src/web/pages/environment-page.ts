// An environment's page: its processes and current releases, then per app a deploy form (a git
// ref or an image) and a rollback button, and the maintenance toggle. The forms are shown only
// to callers the API's rules allow (authorize); the API checks again on every request.
import { html } from 'hono/html';
import { authorize } from '../../server/auth/authorize.ts';
import type { EnvView, MeView, ProcessView } from '../view-types.ts';
import { processTable } from './fleet-page.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { badge } from './parts.ts';

export function environmentPage(props: Omit<LayoutProps, 'title' | 'current'> & { me: MeView }, env: EnvView, processes: ProcessView[]): Html {
  const { me } = props;
  const base = `/api/envs/${encodeURIComponent(env.name)}`;
  const may = (action: 'deploy' | 'rollback' | 'maintenance') => authorize(me, action, env.name, env);
  const maintenance = may('maintenance');
  return layout(
    { ...props, title: `Environment ${env.name}`, current: 'fleet' },
    html`<p><a href="/">← Fleet</a></p>
<h1>${env.name} ${env.protected ? badge('protected', 'warn') : ''}</h1>
<h2>Releases</h2>
${processTable(`Processes and releases in ${env.name}`, processes)}
<h2>Apps</h2>
<div class="grid">${env.apps.map((app) => appCard(base, env, app, processes, may('deploy'), may('rollback')))}</div>
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

function appCard(
  base: string,
  env: EnvView,
  app: string,
  processes: ProcessView[],
  deploy: ReturnType<typeof authorize>,
  rollback: ReturnType<typeof authorize>,
): Html {
  const url = `${base}/apps/${encodeURIComponent(app)}`;
  const releases = [...new Set(processes.filter((p) => p.app === app && p.release).map((p) => p.release as string))];
  const id = `app-${app}`;
  return html`<section class="card" aria-labelledby="${id}">
<h3 id="${id}">${app}</h3>
<p>Release: ${releases.length ? releases.join(', ') : html`<span class="muted">none running</span>`}</p>
${
  deploy.ok
    ? html`<form class="stack" data-api="${url}/deploy" method="post" action="${url}/deploy" aria-label="Deploy ${app}">
<label for="${id}-ref">Git ref <span class="muted">(branch, tag or commit)</span><input id="${id}-ref" name="ref" placeholder="main" autocapitalize="none" spellcheck="false"></label>
<label for="${id}-image">or image<input id="${id}-image" name="image" placeholder="registry/app:tag" autocapitalize="none" spellcheck="false"></label>
<button type="submit">Deploy ${app}</button>
<output></output>
</form>`
    : html`<p class="muted">${deploy.reason}</p>`
}
${
  rollback.ok
    ? html`<form data-api="${url}/rollback" data-confirm="Roll ${app} in ${env.name} back to its previous release?" method="post" action="${url}/rollback" aria-label="Roll back ${app}">
<button type="submit" class="danger">Roll back ${app}</button>
<output></output>
</form>`
    : ''
}
</section>`;
}
