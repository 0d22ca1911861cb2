// Small pieces the pages share: health and state as text with a class (never colour alone), a
// memory meter against its limit, and a table wrapped so it scrolls sideways on a phone.
import { html } from 'hono/html';
import { formatAge, formatBytes, percent } from '../format.ts';
import type { Html } from './layout.ts';

/** A word with a class that colours it; the word itself carries the meaning. */
export function badge(text: string, kind: string = text): Html {
  return html`<span class="tag ${kind}">${text}</span>`;
}

/** `used / limit` with a <meter>, or the usage alone when there is no limit. */
export function usage(used: number | null | undefined, limit: number | null | undefined, label: string): Html {
  const p = percent(used, limit);
  if (p === undefined || used === null || used === undefined || !limit) return html`${formatBytes(used)}`;
  return html`<meter min="0" max="${limit}" low="${limit * 0.7}" high="${limit * 0.85}" optimum="0" value="${used}" aria-label="${label}: ${p}%"></meter>
${formatBytes(used)} / ${formatBytes(limit)} (${p}%)`;
}

/** A table inside a focusable, labelled region that scrolls sideways on narrow screens. */
export function table(caption: string, head: string[], rows: Html[], empty: string): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="scroll" role="region" aria-label="${caption}" tabindex="0"><table>
<caption>${caption}</caption>
<thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** The path of an environment's page. */
export function envHref(env: string): string {
  return `/envs/${encodeURIComponent(env)}`;
}

/** What a page shows in place of a section whose API route refused or is not served (a part not running). */
export function unavailable(what: string, a: { status: number; error: string; hint: string }): Html {
  const why = a.status === 404 && a.error === 'no such route' ? 'this control plane does not serve it (its part is not running)' : a.error;
  return html`<p class="notice" role="status"><strong>${what}: not available.</strong> <span class="muted">${why}${a.hint && a.status !== 404 ? html` (${a.hint})` : ''}</span></p>`;
}

/** An ISO time as `5m ago` (its exact value in the datetime and the title); `—` when absent or unreadable. */
export function ago(iso: string | undefined | null, now: number): Html {
  if (!iso) return html`—`;
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return html`${iso}`;
  return html`<time datetime="${iso}" title="${iso}">${formatAge(Math.max(0, (now - t) / 1000))}</time>`;
}

/** An ISO time in UTC as `2025-01-01 10:00:00` inside a <time>. */
export function utc(iso: string | undefined | null): Html {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')}</time>`;
}

/** A job's page. */
export function jobHref(id: string): string {
  return `/jobs/${encodeURIComponent(id)}`;
}
