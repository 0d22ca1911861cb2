// The proxy's config files for one server: routes to each app's stable alias (a deploy changes
// what the alias resolves to, never this config), maintenance pages, basic-auth hashes from the
// server's secrets. Pure.
import type { ProxyKind } from '../config/fleet.ts';
import type { ServerState, Route } from '../plan/desire/desired.ts';
import { renderCaddy } from '../render/caddy.ts';
import { renderHtpasswd, renderNginx } from '../render/nginx.ts';
import type { TarEntry } from '../engine/tar.ts';
import { basicAuthHash } from './basic-auth-hash.ts';
import type { Secret } from '../util/secret.ts';

export interface ProxyInputs {
  /** `app/env` in maintenance. */
  maintenance: Set<string>;
  /** Basic-auth passwords by secret name (absent: that env is locked, nobody can log in). */
  passwords: Map<string, Secret>;
}

export const CADDY_CONFIG = 'etc/caddy/caddy.json';
export const NGINX_CONFIG = 'etc/nginx/nginx.conf';

/** Routes with the maintenance flags set. */
export function liveRoutes(routes: readonly Route[], inputs: ProxyInputs): Route[] {
  return routes.map((r) => ({ ...r, maintenance: r.maintenance || inputs.maintenance.has(`${r.app}/${r.env}`) }));
}

export function proxyFiles(server: ServerState, kind: ProxyKind, inputs: ProxyInputs): TarEntry[] {
  const state: ServerState = { ...server, routes: liveRoutes(server.routes, inputs) };
  const hash = (secret: string) => {
    const pw = inputs.passwords.get(secret);
    return pw === undefined ? undefined : basicAuthHash(secret, pw);
  };
  if (kind === 'caddy') {
    return [{ path: CADDY_CONFIG, content: `${JSON.stringify(renderCaddy(state, { resolveSecret: hash }), null, 2)}\n` }];
  }
  const files: TarEntry[] = [{ path: NGINX_CONFIG, content: renderNginx(state) }];
  const byEnv = new Map<string, { user: string; hash: string }[]>();
  for (const r of state.routes) {
    if (!r.basicAuth || byEnv.has(r.env)) continue;
    byEnv.set(
      r.env,
      r.basicAuth.map((u) => ({ user: u.user, hash: hash(u.secret) ?? '!locked' })),
    );
  }
  for (const [env, users] of byEnv) files.push({ path: `etc/slipway/htpasswd/${env}`, content: renderHtpasswd(users), mode: 0o644 });
  return files;
}

/** Basic-auth secret names the routes need. */
export function authSecrets(server: ServerState): string[] {
  return [...new Set(server.routes.flatMap((r) => r.basicAuth?.map((u) => u.secret) ?? []))].sort();
}
