// How each route is served over TLS, shared by desire (the proxy publishes 443 when some route is
// HTTPS), both renderers, and the certificate workflow (which hosts Slipway obtains certificates
// for). Pure.
//
// - `plain`: HTTP only: tls `off`, a host under .localhost/.test (no CA issues those), or
//   `internal` on nginx (it has no local CA).
// - `proxy`: the proxy gets and renews the certificate itself: Caddy with ACME over HTTP-01
//   (`auto` + challenge `http`), or Caddy's local CA (`internal`).
// - `slipway`: Slipway obtains the certificate (nginx with `auto`; DNS-01 on either proxy, since
//   Debian's Caddy has no DNS modules) or reads it from secrets (`files`), and puts it in the
//   proxy's data volume at CERT_DIR/<host>/. Until the files are in place (the `certificates`
//   set the renderers get), the host is served on HTTP, with the ACME webroot and no redirect.
import type { ProxyKind, TlsSettings } from '../config/fleet.ts';

/** What these rules look at in a route. */
interface TlsRoute {
  host: string;
  tls: TlsSettings;
}

/** Where Slipway-managed certificates live in the proxy container (the proxy data volume is at /data). */
export const CERT_DIR = '/data/slipway/certs';
/** nginx serves `/.well-known/acme-challenge/<token>` from this directory's `.well-known/acme-challenge/`. */
export const ACME_WEBROOT = '/data/slipway/acme';
/** The CA root Caddy's ACME client trusts (fleet `tls.acme.ca_root`), pushed with the config. One per proxy. */
export const ACME_CA_ROOT = '/data/slipway/acme-ca-root.pem';

export const certPaths = (host: string): { fullchain: string; privkey: string } => ({
  fullchain: `${CERT_DIR}/${host}/fullchain.pem`,
  privkey: `${CERT_DIR}/${host}/privkey.pem`,
});

/** Hosts no public CA issues for: always plain HTTP. */
export const isLocalHost = (host: string): boolean => /(^|\.)(localhost|test)$/i.test(host);

export type TlsServing = 'plain' | 'proxy' | 'slipway';

export function tlsServing(r: TlsRoute, proxy: ProxyKind): TlsServing {
  if (r.tls.mode === 'off' || isLocalHost(r.host)) return 'plain';
  if (r.tls.mode === 'files') return 'slipway';
  // nginx has no local CA: `internal` there is plain HTTP (`check` says so).
  if (r.tls.mode === 'internal') return proxy === 'caddy' ? 'proxy' : 'plain';
  return proxy === 'caddy' && r.tls.challenge === 'http' ? 'proxy' : 'slipway';
}

/** The routes whose certificate Slipway obtains (or reads from secrets) for this proxy. */
export function slipwayCertificateRoutes<R extends TlsRoute>(routes: readonly R[], proxy: ProxyKind): R[] {
  return routes.filter((r) => tlsServing(r, proxy) === 'slipway');
}

/** Whether the route is answered on HTTPS now: `certificates` holds the hosts whose Slipway-managed files are in place. */
export function servesHttps(r: TlsRoute, proxy: ProxyKind, certificates: ReadonlySet<string>): boolean {
  const s = tlsServing(r, proxy);
  return s === 'proxy' || (s === 'slipway' && certificates.has(r.host));
}

/** The Strict-Transport-Security value, or undefined without HSTS. */
export function hstsValue(r: TlsRoute): string | undefined {
  const h = r.tls.hsts;
  if (!h) return undefined;
  return [`max-age=${h.maxAgeS}`, ...(h.includeSubdomains ? ['includeSubDomains'] : []), ...(h.preload ? ['preload'] : [])].join('; ');
}
