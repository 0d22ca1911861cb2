// Caddy renderer: the JSON config (`POST /load`) for the proxy of one server. Caddy is the
// default proxy; a deploy never reloads it (see the reverse_proxy handler), and its config load is graceful for the rare route changes.
//
// - Two HTTP servers, like Caddy's own Caddyfile adapter produces: `http` on :80 for plain-HTTP
//   hosts, `https` on :443 (only when some route wants TLS). Each ends with a catch-all 404.
// - TLS (model/tls.ts): `off`, or a host under `.localhost`/`.test`, is plain HTTP. `auto` with
//   HTTP-01 is Caddy's own ACME, one automation policy per directory/email (the CA root file,
//   one per proxy, is pushed with the config to ACME_CA_ROOT); `internal` gets an internal-issuer policy
//   (the local CA is never installed into a trust store). Certificates Slipway obtains (DNS-01)
//   or reads from secrets are loaded from CERT_DIR with `load_files` once in place
//   (`certificates`) and skipped by Caddy's automation. Caddy's own redirects are off: the :80
//   server answers each HTTPS host with a 308 (or the app, with `redirect: false`), and HSTS is a
//   response header on the :443 route.
// - Basic auth: `authentication` handler with `http_basic` bcrypt accounts. The hash comes from
//   `resolveSecret(secretName)`; when it is not available the account gets
//   `LOCKED_BCRYPT_PLACEHOLDER`, a valid bcrypt hash of a random 32-byte password that was
//   discarded when it was made, so the config validates but nobody can log in. `hash_cache` keeps
//   Caddy from paying a bcrypt comparison on every request. A request whose credentials name no
//   account is answered 401 by a subroute first: Caddy would compare it with its own cost-14 bcrypt
//   hash (its guard against telling users apart by timing), about a second of CPU each, so anyone
//   could starve the proxy with made-up user names. The user names are not secret ("team").
// - Moves (workflows/proxy-overrides.ts): a host whose writes are held answers methods other
//   than GET, HEAD and OPTIONS with 503 and Retry-After (before auth), reads go on. A forwarded
//   host is reverse-proxied to another server's proxy (`ADDR:PORT`, or `https://ADDR:PORT` with
//   SNI = the host and no verification); Caddy keeps the Host, sets X-Forwarded-For/Proto/Host
//   and opens a connection per request (a reused one could meet the target proxy's reload closing
//   it, and a POST sent on it would fail with 502, not be retried). Basic auth is left to the target. The maintenance
//   page wins over both.
// - No rate limit: stock Caddy has no rate-limit module (`check` warns about that instead).
// - The admin endpoint defaults to `localhost:2019` inside the proxy container; never publish it.
import type { Route, ServerState } from '../plan/desire/desired.ts';
import { basicUsersPattern } from './basic-auth-match.ts';
import { forwardTarget, HELD_WRITE_TEXT, MAINTENANCE_HTML } from './nginx.ts';
import { ACME_CA_ROOT, certPaths, hstsValue, servesHttps, tlsServing } from '../model/tls.ts';

export interface CaddyOptions {
  /** Hosts to serve the maintenance page for, in addition to `route.maintenance`. */
  maintenance?: Set<string>;
  /** Secret name -> bcrypt hash (`$2a$…`, or its base64). Never a plain password. */
  resolveSecret?: (name: string) => string | undefined;
  /** `admin.listen`. Default `localhost:2019`. */
  adminListen?: string;
  /** Plain HTTP listener. Default `:80`. Another port also becomes Caddy's `http_port`. */
  listen?: string;
  /** HTTPS listener (only used when a route needs TLS). Default `:443`; sets `https_port` too. */
  httpsListen?: string;
  /** Retry-After seconds on the maintenance page. Default 120. */
  retryAfterS?: number;
  /** Hosts whose Slipway-managed certificate files are in place (model/tls.ts). Default none. */
  certificates?: ReadonlySet<string>;
  /** The HTTPS port clients reach (the server's published port), for redirects. Default 443. */
  publicHttpsPort?: number;
  /** Hosts whose writes (methods other than GET, HEAD, OPTIONS) get 503 with this Retry-After (seconds). */
  holdWrites?: ReadonlyMap<string, number>;
  /**
   * Hosts whose writes are sent to another server's proxy (`ADDR:PORT`), where they wait (its app
   * is paused during a move's write pause) up to 60 s for the answer; reads are served here.
   */
  waitWrites?: ReadonlyMap<string, string>;
  /** Hosts proxied to another server's proxy: `ADDR:PORT` (HTTP) or `https://ADDR:PORT`. */
  forward?: ReadonlyMap<string, string>;
}

/**
 * bcrypt (cost 14) of a random 32-byte hex password generated once with `caddy hash-password`
 * and thrown away. Used when a basic-auth secret cannot be resolved: valid, but unmatchable.
 */
export const LOCKED_BCRYPT_PLACEHOLDER = '$2a$14$iOexpu1AIIwCoQWvYPgaj.2AZyOiDfL83iHPmwZcXXWXEteyAWMQ2';

const BCRYPT = /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/;

/** Accepts a bcrypt hash or its base64 form; throws (without the value) on anything else. */
function bcryptFor(secretName: string, value: string | undefined): string {
  if (value === undefined) return LOCKED_BCRYPT_PLACEHOLDER;
  const v = value.trim();
  if (BCRYPT.test(v)) return v;
  const decoded = /^[A-Za-z0-9+/]+=*$/.test(v) ? Buffer.from(v, 'base64').toString('utf8') : '';
  if (BCRYPT.test(decoded)) return decoded;
  throw new Error(`caddy: basic-auth secret ${secretName} is not a bcrypt hash; store a bcrypt hash (caddy hash-password)`);
}

function portOf(listen: string): number | undefined {
  const m = /:(\d+)$/.exec(listen);
  return m ? Number(m[1]) : undefined;
}

const notFound = { handle: [{ handler: 'static_response', status_code: 404 }] };

function redirectFor(r: Route, o: CaddyOptions): object {
  const port = (o.publicHttpsPort ?? 443) === 443 ? '' : `:${o.publicHttpsPort}`;
  return {
    match: [{ host: [r.host] }],
    handle: [{ handler: 'static_response', status_code: 308, headers: { Location: [`https://{http.request.host}${port}{http.request.uri}`] } }],
    terminal: true,
  };
}

function routeFor(r: Route, o: CaddyOptions, maintenance: boolean, hsts?: string): object {
  const handle: object[] = [];
  if (hsts) handle.push({ handler: 'headers', response: { set: { 'Strict-Transport-Security': [hsts] } } });
  if (maintenance) {
    handle.push({
      handler: 'static_response',
      status_code: 503,
      headers: {
        'Content-Type': ['text/html; charset=utf-8'],
        'Retry-After': [String(o.retryAfterS ?? 120)],
        'Cache-Control': ['no-store'],
      },
      body: MAINTENANCE_HTML,
    });
    return { match: [{ host: [r.host] }], handle, terminal: true };
  }
  const waitAt = o.waitWrites?.get(r.host);
  const hold = waitAt === undefined ? o.holdWrites?.get(r.host) : undefined;
  if (waitAt !== undefined) {
    // Held writes wait: sent to the other server's proxy, whose app is paused until the pause ends
    // (the connection is accepted; the answer comes then, or a 504 after 60 s).
    const target = forwardTarget(waitAt);
    if (target.https) throw new Error(`caddy: held writes wait at a plain HTTP proxy (ADDR:PORT), not ${waitAt}`);
    handle.push({
      handler: 'subroute',
      routes: [
        {
          match: [{ not: [{ method: ['GET', 'HEAD', 'OPTIONS'] }] }],
          handle: [
            {
              handler: 'reverse_proxy',
              upstreams: [{ dial: target.dial }],
              transport: { protocol: 'http', keep_alive: { enabled: false }, dial_timeout: '5s', response_header_timeout: '60s' },
              headers: { request: { set: { 'X-Request-Id': ['{http.request.uuid}'] } } },
            },
          ],
          terminal: true,
        },
      ],
    });
  }
  if (hold !== undefined) {
    if (!Number.isInteger(hold) || hold < 0) throw new Error(`caddy: Retry-After ${hold} is not a whole number of seconds`);
    handle.push({
      handler: 'subroute',
      routes: [
        {
          match: [{ not: [{ method: ['GET', 'HEAD', 'OPTIONS'] }] }],
          handle: [
            {
              handler: 'static_response',
              status_code: 503,
              headers: { 'Content-Type': ['text/plain; charset=utf-8'], 'Retry-After': [String(hold)], 'Cache-Control': ['no-store'] },
              body: `${HELD_WRITE_TEXT}\n`,
            },
          ],
          terminal: true,
        },
      ],
    });
  }
  const to = o.forward?.get(r.host);
  if (to !== undefined) {
    const target = forwardTarget(to);
    handle.push({
      handler: 'reverse_proxy',
      upstreams: [{ dial: target.dial }],
      transport: {
        protocol: 'http',
        keep_alive: { enabled: false },
        ...(target.https ? { tls: { server_name: r.host, insecure_skip_verify: true } } : {}),
      },
      load_balancing: { try_duration: '5s', try_interval: '50ms' },
      headers: { request: { set: { 'X-Request-Id': ['{http.request.uuid}'] } } },
    });
  } else {
    if (r.basicAuth && r.basicAuth.length > 0) {
      const accounts = [...r.basicAuth]
        .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
        .map((u) => ({ username: u.user, password: bcryptFor(u.secret, o.resolveSecret?.(u.secret)) }));
      // Unknown users get their 401 here: Caddy would check them against its cost-14 bcrypt guard.
      handle.push({
        handler: 'subroute',
        routes: [
          {
            match: [{ not: [{ vars_regexp: { '{http.request.header.Authorization}': { pattern: basicUsersPattern(accounts.map((a) => a.username)) } } }] }],
            handle: [{ handler: 'static_response', status_code: 401, headers: { 'WWW-Authenticate': [`Basic realm="${r.env}"`] } }],
            terminal: true,
          },
        ],
      });
      handle.push({
        handler: 'authentication',
        providers: { http_basic: { hash: { algorithm: 'bcrypt' }, accounts, realm: r.env, hash_cache: {} } },
      });
    }
    handle.push({
      handler: 'reverse_proxy',
      upstreams: [{ dial: r.upstream }],
      // The upstream is the stable alias: a deploy changes what it resolves to (the new release
      // joins the edge network once healthy, the old one stops) and never reloads Caddy, whose
      // reload closes clients' idle keep-alive connections. A dial refused by a stopping
      // container is retried for up to 5 s.
      load_balancing: { try_duration: '5s', try_interval: '50ms' },
      headers: { request: { set: { 'X-Request-Id': ['{http.request.uuid}'] } } },
    });
  }
  return { match: [{ host: [r.host] }], handle, terminal: true };
}

/** Caddy JSON config for the proxy of `server`. */
export function renderCaddy(server: ServerState, opts: CaddyOptions = {}): Record<string, unknown> {
  const listen = opts.listen ?? ':80';
  const httpsListen = opts.httpsListen ?? ':443';
  const routes = [...server.routes].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  for (let i = 1; i < routes.length; i++) {
    if (routes[i]?.host === routes[i - 1]?.host) throw new Error(`caddy: two routes for host ${routes[i]?.host}`);
  }
  const inMaintenance = (r: Route): boolean => r.maintenance || (opts.maintenance?.has(r.host) ?? false);
  const certificates = opts.certificates ?? new Set<string>();
  const secure = routes.filter((r) => servesHttps(r, 'caddy', certificates));
  const isSecure = new Set(secure.map((r) => r.host));
  const loaded = secure.filter((r) => tlsServing(r, 'caddy') === 'slipway');

  const servers: Record<string, unknown> = {
    http: {
      listen: [listen],
      routes: [...routes.map((r) => (isSecure.has(r.host) && r.tls.redirect ? redirectFor(r, opts) : routeFor(r, opts, inMaintenance(r)))), notFound],
      // Hosts on this server are HTTP: no certificates, no redirects of Caddy's own.
      automatic_https: { disable: true },
    },
  };
  if (secure.length > 0) {
    servers.https = {
      listen: [httpsListen],
      routes: [...secure.map((r) => routeFor(r, opts, inMaintenance(r), hstsValue(r))), notFound],
      automatic_https: { disable_redirects: true, ...(loaded.length > 0 ? { skip_certificates: loaded.map((r) => r.host) } : {}) },
    };
  }
  const http: Record<string, unknown> = { servers };
  const hp = portOf(listen);
  if (hp !== undefined && hp !== 80) http.http_port = hp;
  const sp = portOf(httpsListen);
  if (secure.length > 0 && sp !== undefined && sp !== 443) http.https_port = sp;

  const apps: Record<string, unknown> = { http };
  const policies: object[] = [];
  const internal = secure.filter((r) => r.tls.mode === 'internal').map((r) => r.host);
  if (internal.length > 0) policies.push({ subjects: internal, issuers: [{ module: 'internal' }] });
  // Caddy's own ACME (HTTP-01), one policy per CA account.
  const byIssuer = new Map<string, { subjects: string[]; issuer: Record<string, unknown> }>();
  for (const r of secure) {
    if (r.tls.mode !== 'auto' || tlsServing(r, 'caddy') !== 'proxy') continue;
    const a = r.tls.acme;
    const key = JSON.stringify([a.directory, a.email ?? '', a.caRoot ?? '']);
    let p = byIssuer.get(key);
    if (!p) {
      const issuer: Record<string, unknown> = { module: 'acme', ca: a.directory };
      if (a.email) issuer.email = a.email;
      if (a.caRoot) issuer.trusted_roots_pem_files = [ACME_CA_ROOT];
      p = { subjects: [], issuer };
      byIssuer.set(key, p);
    }
    p.subjects.push(r.host);
  }
  for (const p of byIssuer.values()) policies.push({ subjects: p.subjects, issuers: [p.issuer] });
  const tls: Record<string, unknown> = {};
  if (policies.length > 0) tls.automation = { policies };
  if (loaded.length > 0)
    tls.certificates = { load_files: loaded.map((r) => ({ certificate: certPaths(r.host).fullchain, key: certPaths(r.host).privkey, tags: [r.host] })) };
  if (Object.keys(tls).length > 0) apps.tls = tls;
  if (internal.length > 0) apps.pki = { certificate_authorities: { local: { install_trust: false } } };
  return { admin: { listen: opts.adminListen ?? 'localhost:2019' }, apps };
}
