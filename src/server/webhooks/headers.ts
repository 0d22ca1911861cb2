// Reading a webhook request's headers, whatever shape the HTTP layer hands over (a fetch
// `Headers`, or Node's lower-cased record), and telling which git host sent it and which
// delivery and event it is. Gitea also sends GitHub's and Gogs's headers, so it is checked first.
export type Provider = 'github' | 'gitlab' | 'gitea';

export const PROVIDERS: readonly Provider[] = ['github', 'gitlab', 'gitea'];

export type HeaderSource = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** One header's value (the first when repeated), by case-insensitive name. */
export function headerOf(h: HeaderSource, name: string): string | undefined {
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const lower = name.toLowerCase();
  const rec = h as Readonly<Record<string, string | readonly string[] | undefined>>;
  for (const key of Object.keys(rec)) {
    if (key.toLowerCase() !== lower) continue;
    const v = rec[key];
    return typeof v === 'string' ? v : v?.[0];
  }
  return undefined;
}

const EVENT_HEADER: Record<Provider, string> = { gitea: 'x-gitea-event', gitlab: 'x-gitlab-event', github: 'x-github-event' };
const DELIVERY_HEADERS: Record<Provider, readonly string[]> = {
  gitea: ['x-gitea-delivery'],
  gitlab: ['x-gitlab-event-uuid', 'x-gitlab-webhook-uuid'],
  github: ['x-github-delivery'],
};

/** The git host that sent the request, from its event header; undefined when none is there. */
export function detectProvider(h: HeaderSource): Provider | undefined {
  for (const p of ['gitea', 'gitlab', 'github'] as const) if (headerOf(h, EVENT_HEADER[p]) !== undefined) return p;
  return undefined;
}

/** The provider's event name as sent (`push`, `Tag Push Hook`…). */
export function eventOf(provider: Provider, h: HeaderSource): string | undefined {
  return headerOf(h, EVENT_HEADER[provider]);
}

/** The provider's own delivery id, when it sends one. */
export function deliveryIdOf(provider: Provider, h: HeaderSource): string | undefined {
  for (const name of DELIVERY_HEADERS[provider]) {
    const v = headerOf(h, name);
    if (v) return v;
  }
  return undefined;
}
