// The proxy's config files for one server: routes to each app's stable alias (a deploy changes
// what the alias resolves to, never this config), maintenance pages, a move's held writes and
// forwards, basic-auth hashes from the server's secrets. Pure.
import type { ProxyKind } from '../config/fleet.ts';
import type { ServerState, Route } from '../plan/desire/desired.ts';
import { renderCaddy } from '../render/caddy.ts';
import { renderHtpasswd, renderNginx } from '../render/nginx.ts';
import { ACME_CA_ROOT as CADDY_ACME_CA_ROOT } from '../model/tls.ts';
import type { TarEntry } from '../engine/tar.ts';
import { basicAuthHash } from './basic-auth-hash.ts';
import type { Secret } from '../util/secret.ts';

/** A move's changes to some hosts of a server's proxy (kept in the server's state, workflows/proxy-overrides.ts). */
export interface ProxyOverrides {
  /**
   * Hosts whose writes (methods other than GET, HEAD, OPTIONS) are held; reads go on. Held writes
   * get 503 with Retry-After, or with `waitAt` (another server's proxy, `ADDR:PORT`, whose app is
   * paused) they are sent there and wait until it answers.
   */
  holdWrites: Record<string, { retryAfterS: number; waitAt?: string }>;
  /** Hosts whose every request goes to another server's proxy: `ADDR:PORT` (HTTP) or `https://ADDR:PORT`. */
  forward: Record<string, { to: string }>;
}

export const noOverrides = (): ProxyOverrides => ({ holdWrites: {}, forward: {} });

export interface ProxyInputs {
  /** `app/env` in maintenance. */
  maintenance: Set<string>;
  /** Basic-auth passwords by passwordKey(env, secret name) (absent: that env is locked, nobody can log in). */
  passwords: Map<string, Secret>;
  /**
   * Hosts whose Slipway-managed certificate files are in place in the proxy's data volume
   * (workflows/tls/): only those get their HTTPS server; absent: none.
   */
  certificates?: ReadonlySet<string>;
  /** PEM of the ACME CA root Caddy's own ACME client trusts (`tls.acme.ca_root`), written to the data volume. */
  acmeCaRoot?: string;
  /** The HTTPS port clients reach, when not 443 (redirects name it). */
  publicHttpsPort?: number;
  /** A move's held writes and forwards; absent: none. Hosts without a route here are ignored. */
  overrides?: ProxyOverrides;
}

/** The key of an environment's basic-auth password in ProxyInputs.passwords: one secret name may have a value per environment. */
export const passwordKey = (env: string, secret: string): string => `${env}\0${secret}`;

export const CADDY_CONFIG = 'etc/caddy/caddy.json';
export const NGINX_CONFIG = 'etc/nginx/nginx.conf';
/** Where Caddy's ACME issuer finds `tls.acme.ca_root` (the Caddy renderer's `trusted_roots_pem_files`), as a tar path. */
export const ACME_CA_ROOT = CADDY_ACME_CA_ROOT.slice(1);

/** Routes with the maintenance flags set. */
export function liveRoutes(routes: readonly Route[], inputs: ProxyInputs): Route[] {
  return routes.map((r) => ({ ...r, maintenance: r.maintenance || inputs.maintenance.has(`${r.app}/${r.env}`) }));
}

/** The renderers' options for a move's overrides, limited to the hosts of `routes`. */
export function liveOverrides(
  routes: readonly Route[],
  inputs: ProxyInputs,
): { holdWrites?: ReadonlyMap<string, number>; waitWrites?: ReadonlyMap<string, string>; forward?: ReadonlyMap<string, string> } {
  const o = inputs.overrides;
  if (!o) return {};
  const hosts = new Set(routes.map((r) => r.host));
  const held = Object.entries(o.holdWrites).filter(([h]) => hosts.has(h));
  const holdWrites = new Map(held.flatMap(([h, v]) => (v.waitAt === undefined ? [[h, v.retryAfterS] as const] : [])));
  const waitWrites = new Map(held.flatMap(([h, v]) => (v.waitAt !== undefined ? [[h, v.waitAt] as const] : [])));
  const forward = new Map(Object.entries(o.forward).flatMap(([h, v]) => (hosts.has(h) ? [[h, v.to] as const] : [])));
  return { ...(holdWrites.size > 0 ? { holdWrites } : {}), ...(waitWrites.size > 0 ? { waitWrites } : {}), ...(forward.size > 0 ? { forward } : {}) };
}

export function proxyFiles(server: ServerState, kind: ProxyKind, inputs: ProxyInputs): TarEntry[] {
  const state: ServerState = { ...server, routes: liveRoutes(server.routes, inputs) };
  const certificates: ReadonlySet<string> = inputs.certificates ?? new Set();
  const port = { ...(inputs.publicHttpsPort !== undefined ? { publicHttpsPort: inputs.publicHttpsPort } : {}), ...liveOverrides(state.routes, inputs) };
  const hash = (env: string, secret: string) => {
    const pw = inputs.passwords.get(passwordKey(env, secret));
    return pw === undefined ? undefined : basicAuthHash(secret, pw, kind);
  };
  if (kind === 'caddy') {
    // The renderer resolves by secret name only: each route names its own environment's password.
    const routes = state.routes.map((r) => (r.basicAuth ? { ...r, basicAuth: r.basicAuth.map((u) => ({ ...u, secret: passwordKey(r.env, u.secret) })) } : r));
    const resolveSecret = (key: string) => hash(...(key.split('\0') as [string, string]));
    const opts = { resolveSecret, certificates, ...port };
    const files: TarEntry[] = [{ path: CADDY_CONFIG, content: `${JSON.stringify(renderCaddy({ ...state, routes }, opts), null, 2)}\n` }];
    if (inputs.acmeCaRoot !== undefined) files.push({ path: ACME_CA_ROOT, content: inputs.acmeCaRoot, mode: 0o644 });
    return files;
  }
  const nginxOpts = { certificates, ...port };
  const files: TarEntry[] = [{ path: NGINX_CONFIG, content: renderNginx(state, nginxOpts) }];
  const byEnv = new Map<string, { user: string; hash: string }[]>();
  for (const r of state.routes) {
    if (!r.basicAuth || byEnv.has(r.env)) continue;
    byEnv.set(
      r.env,
      r.basicAuth.map((u) => ({ user: u.user, hash: hash(r.env, u.secret) ?? '!locked' })),
    );
  }
  for (const [env, users] of byEnv) files.push({ path: `etc/slipway/htpasswd/${env}`, content: renderHtpasswd(users), mode: 0o644 });
  return files;
}

/** Basic-auth secret names the routes need. */
export function authSecrets(server: ServerState): string[] {
  return [...new Set(server.routes.flatMap((r) => r.basicAuth?.map((u) => u.secret) ?? []))].sort();
}

/** The basic-auth passwords the routes need: each secret name with the environment it is read for. */
export function authSecretRefs(server: ServerState): { env: string; secret: string }[] {
  const keys = new Set(server.routes.flatMap((r) => (r.basicAuth ?? []).map((u) => passwordKey(r.env, u.secret))));
  return [...keys].sort().map((key) => {
    const [env, secret] = key.split('\0') as [string, string];
    return { env, secret };
  });
}
