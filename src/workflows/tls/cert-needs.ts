// Which hosts of a server need a certificate Slipway obtains or loads itself (pure): the routes
// model/tls.ts serves as `slipway` (nginx with `tls: auto`, `challenge: dns` on either proxy, mode
// `files`). Caddy with HTTP-01 gets its certificates on its own; hosts under .localhost and .test
// are always plain HTTP.
import type { ProxyKind, TlsSettings } from '../../config/fleet.ts';
import { tlsServing } from '../../model/tls.ts';
import type { Route } from '../../plan/desire/desired.ts';

export interface CertNeed {
  host: string;
  env: string;
  tls: TlsSettings;
}

/** One need per host (the first route naming it), sorted by host. */
export function certNeeds(routes: readonly Route[], proxy: ProxyKind): CertNeed[] {
  const byHost = new Map<string, CertNeed>();
  for (const r of routes) {
    if (byHost.has(r.host) || tlsServing(r, proxy) !== 'slipway') continue;
    byHost.set(r.host, { host: r.host, env: r.env, tls: r.tls });
  }
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

/** The ACME CA roots (`tls.acme.ca_root` files) Caddy's own ACME client must trust: routes it gets certificates for itself. */
export function caddyCaRoots(routes: readonly Route[]): string[] {
  const roots = new Set<string>();
  for (const r of routes) if (r.tls.mode === 'auto' && tlsServing(r, 'caddy') === 'proxy' && r.tls.acme.caRoot) roots.add(r.tls.acme.caRoot);
  return [...roots].sort();
}
