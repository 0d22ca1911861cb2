// The jobs pages: the newest background jobs (deploys, rollbacks, backup verifications), and one
// job with its steps so far; while it runs, the script island follows its event stream and adds
// each step as it comes.
import { html } from 'hono/html';
import type { Answer, JobSummary, JobView } from '../view-types.ts';
import { jobsTable, resultText } from './job-parts.ts';
import { type Html, type LayoutProps, layout } from './layout.ts';
import { ago, badge, envHref } from './parts.ts';

type Props = Omit<LayoutProps, 'title' | 'current'>;

export function jobsPage(props: Props, jobs: Answer<{ jobs?: JobSummary[] }>, now: number): Html {
  return layout({ ...props, title: 'Jobs', current: 'jobs' }, html`<h1>Jobs</h1>${jobsTable(jobs, now, 50, 'The newest jobs')}`);
}

export function jobPage(props: Props, j: JobView, now: number): Html {
  const events = `/api/jobs/${encodeURIComponent(j.id)}/events`;
  return layout(
    { ...props, title: `Job ${j.id}`, current: 'jobs' },
    html`<p><a href="/jobs">← Jobs</a></p>
<h1>${j.action} ${j.app ?? ''} in <a href="${envHref(j.env)}">${j.env}</a></h1>
<dl class="facts">
<dt>Job</dt><dd><code>${j.id}</code></dd>
<dt>By</dt><dd>${j.by}</dd>
<dt>Started</dt><dd>${ago(j.startedAt, now)}</dd>
<dt>Status</dt><dd class="job-status">${badge(j.status, j.status === 'ok' ? 'ok' : j.status)}</dd>
</dl>
<section class="job" ${j.status === 'running' ? html`data-events="${events}"` : ''} aria-labelledby="steps-h">
<h2 id="steps-h">Steps</h2>
<ol class="steps" aria-live="polite">${j.steps.map((s) => html`<li>${s.text}</li>`)}</ol>
<output class="${j.status === 'failed' ? 'error' : ''}">${j.status === 'running' ? 'Following…' : `${j.status === 'ok' ? 'Done' : 'Failed'}: ${resultText(j)}`}</output>
</section>`,
  );
}
