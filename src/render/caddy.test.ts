// Golden and property tests for the Caddy JSON renderer.
import { describe, expect, it } from 'vitest';
import { LOCKED_BCRYPT_PLACEHOLDER, renderCaddy } from './caddy.ts';
import { LEAKY_SECRET_VALUE, fixtureServer, route } from '../../test/fixtures/render-fixtures.ts';
import { LETSENCRYPT, defaultTls } from '../config/fleet.ts';
import { ACME_CA_ROOT } from '../model/tls.ts';

const HASH_QA = '$2a$04$Xbq5wSrN8dE7hJ3Lk2mP0uYcVfTg6HiJkLmNoPqRsTuVwXyZa1b2C';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** The route that serves `host`: its HTTPS one when it has one (the HTTP one then redirects). */
function routeFor(cfg: Any, host: string, server?: 'http' | 'https'): Any {
  const servers = cfg.apps.http.servers;
  for (const s of (server ? [servers[server]] : [servers.https, servers.http].filter(Boolean)) as Any[]) {
    const r = s.routes.find((x: Any) => x.match?.[0]?.host?.includes(host));
    if (r) return r;
  }
  throw new Error(`no route for ${host}`);
}

describe('renderCaddy', () => {
  const secrets: Record<string, string> = { 'staging-auth-qa': HASH_QA };
  const cfg: Any = renderCaddy(fixtureServer(), { resolveSecret: (n) => secrets[n] });

  it('matches the golden file', async () => {
    await expect(`${JSON.stringify(cfg, null, 2)}\n`).toMatchFileSnapshot('./__golden__/caddy.json');
  });

  it('keeps admin on localhost by default, or the given address', () => {
    expect(cfg.admin).toEqual({ listen: 'localhost:2019' });
    expect((renderCaddy(fixtureServer(), { adminListen: 'unix//run/caddy.sock' }) as Any).admin.listen).toBe('unix//run/caddy.sock');
  });

  it('listens on :80 for plain hosts and :443 when some route needs TLS', () => {
    expect(cfg.apps.http.servers.http.listen).toEqual([':80']);
    expect(cfg.apps.http.servers.https.listen).toEqual([':443']);
    expect(cfg.apps.http.servers.http.automatic_https).toEqual({ disable: true });
    expect(cfg.apps.http.servers.https.automatic_https).toEqual({ disable_redirects: true });
    const plainOnly = fixtureServer();
    plainOnly.routes = plainOnly.routes.filter((r) => r.host.endsWith('.test') || r.host.endsWith('.localhost'));
    const p: Any = renderCaddy(plainOnly);
    expect(Object.keys(p.apps.http.servers)).toEqual(['http']);
    expect(p.apps.http.servers.http.automatic_https).toEqual({ disable: true });
  });

  it('uses an internal issuer for tls internal, and the ACME of Caddy (HTTP-01) with the directory for auto', () => {
    expect(cfg.apps.tls.automation.policies).toEqual([
      { subjects: ['api-staging.example.com'], issuers: [{ module: 'internal' }] },
      { subjects: ['api.example.com'], issuers: [{ module: 'acme', ca: LETSENCRYPT }] },
    ]);
    expect(cfg.apps.pki.certificate_authorities.local.install_trust).toBe(false);
  });

  it('groups ACME hosts by CA account, trusting the pushed CA root', () => {
    const s = fixtureServer();
    const pebble = { ...defaultTls('auto'), acme: { directory: 'https://10.200.0.1:14000/dir', email: 'ops@example.com', caRoot: '/x/ca.pem' } };
    s.routes = [
      route('a.example.com', 'prod', 'a', { tls: pebble }),
      route('b.example.com', 'prod', 'b', { tls: pebble }),
      route('c.example.com', 'prod', 'c'),
    ];
    const c: Any = renderCaddy(s);
    expect(c.apps.tls.automation.policies).toEqual([
      {
        subjects: ['a.example.com', 'b.example.com'],
        issuers: [{ module: 'acme', ca: 'https://10.200.0.1:14000/dir', email: 'ops@example.com', trusted_roots_pem_files: [ACME_CA_ROOT] }],
      },
      { subjects: ['c.example.com'], issuers: [{ module: 'acme', ca: LETSENCRYPT }] },
    ]);
  });

  it('redirects HTTP to HTTPS with a 308 (naming a published port other than 443), or serves the app with redirect off', () => {
    expect(routeFor(cfg, 'api.example.com', 'http').handle).toEqual([
      { handler: 'static_response', status_code: 308, headers: { Location: ['https://{http.request.host}{http.request.uri}'] } },
    ]);
    const port: Any = renderCaddy(fixtureServer(), { publicHttpsPort: 8443 });
    expect(routeFor(port, 'api.example.com', 'http').handle[0].headers.Location).toEqual(['https://{http.request.host}:8443{http.request.uri}']);
    const s = fixtureServer();
    s.routes = [route('a.example.com', 'prod', 'a', { tls: { ...defaultTls('auto'), redirect: false } })];
    const noRedirect: Any = renderCaddy(s);
    expect(routeFor(noRedirect, 'a.example.com', 'http').handle.at(-1).handler).toBe('reverse_proxy');
    expect(routeFor(noRedirect, 'a.example.com', 'https').handle.at(-1).handler).toBe('reverse_proxy');
  });

  it('sends HSTS on HTTPS only, as asked', () => {
    const s = fixtureServer();
    s.routes = [route('a.example.com', 'prod', 'a', { tls: { ...defaultTls('auto'), hsts: { maxAgeS: 31536000, includeSubdomains: true, preload: false } } })];
    const c: Any = renderCaddy(s);
    expect(routeFor(c, 'a.example.com', 'https').handle[0]).toEqual({
      handler: 'headers',
      response: { set: { 'Strict-Transport-Security': ['max-age=31536000; includeSubDomains'] } },
    });
    expect(JSON.stringify(routeFor(c, 'a.example.com', 'http'))).not.toContain('Strict-Transport-Security');
    expect(JSON.stringify(cfg)).not.toContain('Strict-Transport-Security');
  });

  it('serves a DNS-01 or secret-file host on HTTP until its files are in place, then loads them and keeps Caddy from managing it', () => {
    const s = fixtureServer();
    s.routes = [
      route('a.example.com', 'prod', 'a', { tls: { ...defaultTls('auto'), challenge: 'dns' } }),
      route('b.example.com', 'prod', 'b', { tls: { ...defaultTls('files'), files: { cert: 'b-cert', key: 'b-key' } } }),
    ];
    const before: Any = renderCaddy(s);
    expect(Object.keys(before.apps.http.servers)).toEqual(['http']);
    expect(routeFor(before, 'a.example.com', 'http').handle.at(-1).handler).toBe('reverse_proxy');
    expect(before.apps.tls).toBeUndefined();
    const after: Any = renderCaddy(s, { certificates: new Set(['a.example.com', 'b.example.com']) });
    expect(after.apps.http.servers.https.automatic_https).toEqual({ disable_redirects: true, skip_certificates: ['a.example.com', 'b.example.com'] });
    expect(after.apps.tls.certificates.load_files).toEqual([
      { certificate: '/data/slipway/certs/a.example.com/fullchain.pem', key: '/data/slipway/certs/a.example.com/privkey.pem', tags: ['a.example.com'] },
      { certificate: '/data/slipway/certs/b.example.com/fullchain.pem', key: '/data/slipway/certs/b.example.com/privkey.pem', tags: ['b.example.com'] },
    ]);
    expect(after.apps.tls.automation).toBeUndefined();
    expect(routeFor(after, 'a.example.com', 'http').handle[0].status_code).toBe(308);
  });

  it('reverse proxies to alias:port with a request id', () => {
    const rp = routeFor(cfg, 'api.example.com').handle.at(-1);
    expect(rp.handler).toBe('reverse_proxy');
    expect(rp.upstreams).toEqual([{ dial: 'api-prod-web:3000' }]);
    expect(rp.headers.request.set['X-Request-Id']).toEqual(['{http.request.uuid}']);
  });

  it('basic auth answers unknown users 401 before the bcrypt check', () => {
    const [guard, auth] = routeFor(cfg, 'api-staging.example.com').handle;
    expect(guard.handler).toBe('subroute');
    const [route] = guard.routes;
    expect(route.handle).toEqual([{ handler: 'static_response', status_code: 401, headers: { 'WWW-Authenticate': ['Basic realm="staging"'] } }]);
    const pattern = route.match[0].not[0].vars_regexp['{http.request.header.Authorization}'].pattern;
    const known = new RegExp(pattern);
    const header = (cred: string) => `Basic ${Buffer.from(cred).toString('base64')}`;
    expect([header('qa:pw'), header('alice:x:y'), header('qa:')].every((h) => known.test(h))).toBe(true);
    expect([header('bob:pw'), header('qa2:pw'), header('q:pw'), `${header('qa:pw')},${header('bob:pw')}`, 'Bearer x'].some((h) => known.test(h))).toBe(false);
    expect(auth.handler).toBe('authentication');
  });

  it('basic auth uses resolved bcrypt hashes and a locked placeholder otherwise', () => {
    const auth = routeFor(cfg, 'api-staging.example.com').handle[1];
    expect(auth.handler).toBe('authentication');
    expect(auth.providers.http_basic.accounts).toEqual([
      { username: 'alice', password: LOCKED_BCRYPT_PLACEHOLDER },
      { username: 'qa', password: HASH_QA },
    ]);
    const b64: Any = renderCaddy(fixtureServer(), { resolveSecret: (n) => (n === 'staging-auth-qa' ? Buffer.from(HASH_QA).toString('base64') : undefined) });
    expect(routeFor(b64, 'api-staging.example.com').handle[1].providers.http_basic.accounts[1].password).toBe(HASH_QA);
  });

  it('refuses a plain password without echoing it', () => {
    let msg = '';
    try {
      renderCaddy(fixtureServer(), { resolveSecret: () => LEAKY_SECRET_VALUE });
    } catch (e) {
      msg = String(e);
    }
    expect(msg).toMatch(/not a bcrypt hash/);
    expect(msg).not.toContain(LEAKY_SECRET_VALUE);
  });

  it('serves maintenance as a 503 static response with Retry-After', () => {
    const h = routeFor(cfg, 'site.test').handle;
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ handler: 'static_response', status_code: 503, headers: { 'Retry-After': ['120'] } });
    const forced: Any = renderCaddy(fixtureServer(), { maintenance: new Set(['api.example.com']) });
    expect(routeFor(forced, 'api.example.com', 'https').handle[0].status_code).toBe(503);
  });

  it('ends every server with a catch-all 404 and emits no rate limit', () => {
    for (const s of Object.values(cfg.apps.http.servers) as Any[]) {
      expect(s.routes.at(-1)).toEqual({ handle: [{ handler: 'static_response', status_code: 404 }] });
    }
    expect(JSON.stringify(cfg)).not.toMatch(/rate_limit|rate-limit/);
  });

  it('maps custom listeners to http_port/https_port', () => {
    const c: Any = renderCaddy(fixtureServer(), { listen: '127.0.0.1:18080', httpsListen: '127.0.0.1:18443' });
    expect(c.apps.http.http_port).toBe(18080);
    expect(c.apps.http.https_port).toBe(18443);
  });
});

describe('renderCaddy: a move (held writes, forwards)', () => {
  const secrets: Record<string, string> = { 'staging-auth-qa': HASH_QA };
  const cfg: Any = renderCaddy(fixtureServer(), {
    resolveSecret: (n) => secrets[n],
    holdWrites: new Map([
      ['api.example.com', 2],
      ['site-staging.localhost', 5],
    ]),
    forward: new Map([
      ['api-staging.example.com', '10.200.0.3:80'],
      ['site-staging.localhost', 'https://10.200.0.3:443'],
      ['site.test', '10.200.0.3:80'],
    ]),
  });

  it('matches the golden file', async () => {
    await expect(`${JSON.stringify(cfg, null, 2)}\n`).toMatchFileSnapshot('./__golden__/caddy-move.json');
  });

  it('holds writes (503, Retry-After) and keeps proxying reads to the app', () => {
    const h = routeFor(cfg, 'api.example.com', 'https').handle;
    expect(h.map((x: Any) => x.handler)).toEqual(['subroute', 'reverse_proxy']);
    expect(h[0].routes[0].match).toEqual([{ not: [{ method: ['GET', 'HEAD', 'OPTIONS'] }] }]);
    expect(h[0].routes[0].handle[0]).toMatchObject({ status_code: 503, headers: { 'Retry-After': ['2'] } });
    expect(h[1].upstreams).toEqual([{ dial: 'api-prod-web:3000' }]);
  });

  it('forwards to the target without auth of its own, a connection per request; https targets get SNI = the host', () => {
    const h = routeFor(cfg, 'api-staging.example.com', 'https').handle;
    expect(h).toEqual([expect.objectContaining({ handler: 'reverse_proxy', upstreams: [{ dial: '10.200.0.3:80' }] })]);
    expect(h[0].transport).toEqual({ protocol: 'http', keep_alive: { enabled: false } });
    const s = routeFor(cfg, 'site-staging.localhost').handle;
    expect(s.map((x: Any) => x.handler)).toEqual(['subroute', 'reverse_proxy']);
    expect(s[1].transport).toEqual({
      protocol: 'http',
      keep_alive: { enabled: false },
      tls: { server_name: 'site-staging.localhost', insecure_skip_verify: true },
    });
  });

  it('serves the maintenance page over a forward', () => {
    expect(routeFor(cfg, 'site.test').handle).toEqual([expect.objectContaining({ status_code: 503 })]);
  });

  it('held_writes wait: writes go to the target proxy and wait up to 60 s for its answer; reads go to the app', () => {
    const w: Any = renderCaddy(fixtureServer(), { resolveSecret: (n) => secrets[n], waitWrites: new Map([['api.example.com', '10.200.0.3:80']]) });
    const h = routeFor(w, 'api.example.com', 'https').handle;
    expect(h.map((x: Any) => x.handler)).toEqual(['subroute', 'reverse_proxy']);
    expect(h[0].routes[0].match).toEqual([{ not: [{ method: ['GET', 'HEAD', 'OPTIONS'] }] }]);
    expect(h[0].routes[0].handle[0]).toMatchObject({
      handler: 'reverse_proxy',
      upstreams: [{ dial: '10.200.0.3:80' }],
      transport: { protocol: 'http', keep_alive: { enabled: false }, dial_timeout: '5s', response_header_timeout: '60s' },
    });
    expect(h[0].routes[0].terminal).toBe(true);
    expect(h[1].upstreams).toEqual([{ dial: 'api-prod-web:3000' }]);
    expect(() => renderCaddy(fixtureServer(), { waitWrites: new Map([['api.example.com', 'https://10.200.0.3:443']]) })).toThrow(/plain HTTP proxy/);
  });
});
