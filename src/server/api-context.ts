// What the API's routes share: the Hono environment (per-request variables: who is calling, what
// the audit entry will say) and the services built once per app (users, sessions, tokens, the
// login limiter, the ops port, the clock and options). Passed in, never module-level.
import type { Context, MiddlewareHandler } from 'hono';
import type { Principal } from './auth/authorize.ts';
import type { LoginLimiter } from './auth/login-limiter.ts';
import type { Sessions } from './auth/sessions.ts';
import type { Tokens } from './auth/tokens.ts';
import type { Users } from './auth/users.ts';
import { ApiError } from './errors.ts';
import { isName } from './names.ts';
import type { ControlPlaneOps } from './ops.ts';

/** What the audit entry of this request will say, filled in as the route learns it. */
export interface AuditNote {
  action: string;
  env?: string;
  app?: string;
  detail?: string;
  /** Who, when there is no principal yet (the name a login tried). */
  by?: string;
}

export interface ApiVariables {
  principal: Principal;
  /** The session id, for cookie-authenticated requests (logout deletes it). */
  sessionId: string;
  csrfToken: string;
  audit: AuditNote;
}

/** Node's request, as @hono/node-server passes it; absent under app.request in tests unless given. */
export interface ApiBindings {
  incoming?: { socket?: { remoteAddress?: string } };
}

export type ApiEnv = { Variables: Partial<ApiVariables>; Bindings: ApiBindings };
export type ApiContext = Context<ApiEnv>;

export interface ApiOptions {
  /** The session cookie's Secure attribute; off only for `serve --dev` on loopback. */
  secureCookies: boolean;
  maxBodyBytes: number;
}

export interface ApiServices {
  users: Users;
  sessions: Sessions;
  tokens: Tokens;
  limiter: LoginLimiter;
  ops: ControlPlaneOps;
  now: () => number;
  options: ApiOptions;
  clientIp: (c: ApiContext) => string;
  log: (line: string) => void;
}

/** Names this request's action for the audit log. */
export function noteAction(action: string): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    c.set('audit', { action });
    await next();
  };
}

/** Adds to this request's audit note. */
export function note(c: ApiContext, more: Partial<AuditNote>): void {
  c.set('audit', { action: `${c.req.method} ${c.req.path}`, ...c.get('audit'), ...more });
}

/** The path parameter `key`, refused with 400 unless it is a plain name (no `..`, `/`, `%2F`, …). */
export function nameParam(c: ApiContext, key: string): string {
  const value = c.req.param(key) ?? '';
  if (!isName(value)) throw new ApiError(400, `invalid ${key} name`, 'names are lower-case letters, digits and dashes, at most 63 characters');
  return value;
}

/** The authenticated principal; the authenticate middleware ran before. */
export function principalOf(c: ApiContext): Principal {
  const p = c.get('principal');
  if (!p) throw new ApiError(401, 'not logged in', 'log in, or send Authorization: Bearer with an API token');
  return p;
}
