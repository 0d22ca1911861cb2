// Small pieces the pages share: health and state as text with a class (never colour alone), a
// memory meter against its limit, and a table wrapped so it scrolls sideways on a phone.
import { html } from 'hono/html';
import { formatBytes, percent } from '../format.ts';
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
