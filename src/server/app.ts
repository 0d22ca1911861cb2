// createApp: the control plane's HTTP API as a Hono app. It wires the store-backed auth services
// (users, sessions, tokens, the login limiter), the ops port and the clock from the context, then
// the middleware (security headers, body size, audit) and the routes. One error handler turns
// every error into JSON `{ error, hint }`; unknown routes are 404 JSON; no answer carries a stack.
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { type ApiContext, type ApiEnv, type ApiServices, note } from './api-context.ts';
import { DEFAULT_LOGIN_LIMITS, type LoginLimits, LoginLimiter } from './auth/login-limiter.ts';
import { Sessions } from './auth/sessions.ts';
import { Tokens } from './auth/tokens.ts';
import { Users } from './auth/users.ts';
import { checkDeclaredLength, DEFAULT_MAX_BODY_BYTES } from './body.ts';
import { answerError } from './errors.ts';
import { auditRequests } from './middleware/audit.ts';
import type { ControlPlaneOps } from './ops.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { fleetRoutes } from './routes/fleet-routes.ts';
import type { ServePart } from './serve-part.ts';
import type { FileStore } from './store/file-store.ts';

export interface AppOptions {
  /** The session cookie's Secure attribute: true unless `serve --dev` on loopback. */
  secureCookies: boolean;
  /** Largest request body accepted (default 1 MiB). */
  maxBodyBytes?: number;
  /** bcrypt cost of new passwords (default 12; tests inject a lower one). */
  bcryptCost?: number;
  sessionTtlMs?: number;
  loginLimits?: LoginLimits;
}

export interface AppContext {
  store: FileStore;
  now: () => number;
  ops: ControlPlaneOps;
  options: AppOptions;
  /** The client's address for rate limits and audit; default: the socket's remote address. */
  clientIp?: (c: ApiContext) => string;
  /** Where unexpected errors and audit failures are reported (default: nowhere). */
  log?: (line: string) => void;
  /** The control plane's other parts (dashboard, webhooks, metrics…): their routes come after the API's. */
  parts?: readonly ServePart[];
}

export type ControlPlaneApp = Hono<ApiEnv>;

export function createApp(ctx: AppContext): ControlPlaneApp {
  const s = services(ctx);
  const app = new Hono<ApiEnv>();

  app.onError((e, c) => respondError(e, c, s));
  app.notFound((c) => c.json({ error: 'no such route', hint: 'check the method and the path' }, 404));

  // Errors that are not Error instances escape Hono's handler; answer them the same way.
  app.use('*', async (c, next) => {
    try {
      await next();
    } catch (e) {
      c.res = respondError(e, c, s);
    }
  });
  app.use('*', secureHeaders());
  app.use('/api/*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    await next();
  });
  app.use('/api/*', auditRequests(s));
  app.use('*', async (c, next) => {
    checkDeclaredLength(c.req.raw, s.options.maxBodyBytes);
    await next();
  });

  authRoutes(app, s);
  fleetRoutes(app, s);
  adminRoutes(app, s);
  for (const part of ctx.parts ?? []) part.routes?.(app, s);
  return app;
}

function services(ctx: AppContext): ApiServices {
  const { store, now } = ctx;
  return {
    users: new Users(store, { now, ...(ctx.options.bcryptCost !== undefined ? { cost: ctx.options.bcryptCost } : {}) }),
    sessions: new Sessions(store, { now, ...(ctx.options.sessionTtlMs !== undefined ? { ttlMs: ctx.options.sessionTtlMs } : {}) }),
    tokens: new Tokens(store, { now }),
    limiter: new LoginLimiter(now, ctx.options.loginLimits ?? DEFAULT_LOGIN_LIMITS),
    ops: ctx.ops,
    now,
    options: { secureCookies: ctx.options.secureCookies, maxBodyBytes: ctx.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES },
    clientIp: ctx.clientIp ?? socketAddress,
    log: ctx.log ?? (() => undefined),
  };
}

function socketAddress(c: ApiContext): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown';
}

function respondError(e: unknown, c: ApiContext, s: ApiServices): Response {
  const a = answerError(e);
  if (a.unexpected) s.log(`error: ${c.req.method} ${c.req.path}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  if (!c.get('audit')?.detail) note(c, { detail: a.body.error });
  return c.json(a.body, a.status as ContentfulStatusCode, a.headers);
}
