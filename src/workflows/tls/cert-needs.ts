// Which hosts of a server need a certificate Slipway obtains or loads itself (pure): every route
// with `tls: auto` on nginx, with `challenge: dns` on either proxy, and every route with mode
// `files`. Caddy with HTTP-01 gets its certificates on its own; hosts under .localhost and .test
// are always plain HTTP.
import type { ProxyKind, TlsSettings } from '../../config/fleet.ts';
import type { Route } from '../../plan/desire/desired.ts';

export interface CertNeed {
  host: string;
  env: string;
  tls: TlsSettings;
}

export function isLocalHost(host: string): boolean {
  return /(^|\.)(localhost|test)$/i.test(host);
}

export function needsSlipwayCert(tls: TlsSettings, proxy: ProxyKind): boolean {
  if (tls.mode === 'files') return true;
  if (tls.mode !== 'auto') return false;
  return proxy === 'nginx' || tls.challenge === 'dns';
}

/** One need per host (the first route naming it), sorted by host. */
export function certNeeds(routes: readonly Route[], proxy: ProxyKind): CertNeed[] {
  const byHost = new Map<string, CertNeed>();
  for (const r of routes) {
    if (byHost.has(r.host) || isLocalHost(r.host) || !needsSlipwayCert(r.tls, proxy)) continue;
    byHost.set(r.host, { host: r.host, env: r.env, tls: r.tls });
  }
  return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
}

/** The ACME CA roots (`tls.acme.ca_root` files) Caddy's own ACME client must trust: routes it gets certificates for itself. */
export function caddyCaRoots(routes: readonly Route[]): string[] {
  const roots = new Set<string>();
  for (const r of routes) if (!isLocalHost(r.host) && r.tls.mode === 'auto' && r.tls.challenge === 'http' && r.tls.acme.caRoot) roots.add(r.tls.acme.caRoot);
  return [...roots].sort();
}
