// The pieces of pages that start and follow background jobs (POST /api/jobs, then the job's
// server-sent events): a form whose hidden fields name the job, with a live region the script
// island fills with each step as it streams, and the recent-jobs table.
import { html } from 'hono/html';
import type { Answer, JobSummary } from '../view-types.ts';
import type { Html } from './layout.ts';
import { ago, badge, jobHref, table, unavailable } from './parts.ts';

export interface JobFormProps {
  /** The job's fixed fields (action, env, app, release…), sent as hidden inputs. */
  fields: Record<string, string | undefined>;
  label: string;
  button: string;
  /** Visible inputs before the button. */
  inputs?: Html;
  kind?: 'primary' | 'secondary' | 'danger';
  confirm?: string;
  className?: string;
}

/** A form the island posts to /api/jobs; it then streams the job's steps into the list below it. */
export function jobForm(p: JobFormProps): Html {
  const hidden = Object.entries(p.fields).filter((e): e is [string, string] => e[1] !== undefined);
  return html`<form class="${p.className ?? 'stack'}" data-api="/api/jobs" data-job method="post" action="/api/jobs" aria-label="${p.label}"${
    p.confirm ? html` data-confirm="${p.confirm}"` : ''
  }>
${hidden.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
${p.inputs ?? ''}
<button type="submit"${p.kind && p.kind !== 'primary' ? html` class="${p.kind}"` : ''}>${p.button}</button>
<output></output>
<ol class="steps" hidden aria-label="Steps of ${p.label}"></ol>
</form>`;
}

/** The newest jobs (GET /api/jobs), each linking to its page where its steps stream. */
export function jobsTable(a: Answer<{ jobs?: JobSummary[] }>, now: number, limit: number, caption: string): Html {
  if (!a.ok) return unavailable('Jobs', a);
  const jobs = (a.data.jobs ?? []).slice(0, limit);
  return table(
    caption,
    ['Job', 'Action', 'Where', 'By', 'Started', 'Status', 'Result'],
    jobs.map(
      (j) => html`<tr>
<td><a href="${jobHref(j.id)}">${j.id}</a></td>
<td>${j.action}</td>
<td>${[j.app, j.env].filter(Boolean).join(' in ')}</td>
<td>${j.by}</td>
<td>${ago(j.startedAt, now)}</td>
<td>${badge(j.status, j.status === 'ok' ? 'ok' : j.status)}</td>
<td>${resultText(j)}</td>
</tr>`,
    ),
    'No jobs yet.',
  );
}

/** A job's outcome in a few words: its release, or its error. */
export function resultText(j: Pick<JobSummary, 'status' | 'result' | 'error' | 'hint'>): string {
  if (j.status === 'failed') return `${j.error ?? 'failed'}${j.hint ? ` (${j.hint})` : ''}`;
  const r = j.result as { release?: unknown; id?: unknown; result?: unknown } | undefined;
  if (r && typeof r.release === 'string') return `release ${r.release}`;
  if (r && typeof r.id === 'string' && typeof r.result === 'string') return `backup ${r.id}: ${r.result}`;
  return j.status === 'running' ? 'running…' : '';
}
