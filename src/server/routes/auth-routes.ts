// POST /api/login {user, password} → session cookie + CSRF token; POST /api/logout; GET /api/me.
// Logins are rate-limited per (client IP, user) and per IP before the password is checked.
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Hono } from 'hono';
import { z } from 'zod';
import { type ApiEnv, type ApiServices, note, noteAction, principalOf } from '../api-context.ts';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth/sessions.ts';
import { readJson } from '../body.ts';
import { ApiError } from '../errors.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { isName } from '../names.ts';

const loginBody = z.object({ user: z.string().min(1).max(200), password: z.string().min(1).max(1024) }).strict();

export function authRoutes(app: Hono<ApiEnv>, s: ApiServices): void {
  const auth = authenticate(s);

  app.post('/api/login', noteAction('login'), async (c) => {
    const { user, password } = await readJson(c.req.raw, loginBody, s.options.maxBodyBytes);
    if (isName(user)) note(c, { by: user });
    const ip = s.clientIp(c);
    const limit = s.limiter.check(ip, user);
    if (!limit.ok)
      throw new ApiError(429, 'too many failed logins', `wait ${limit.retryAfterS} s before trying again`, { 'Retry-After': String(limit.retryAfterS) });
    const found = await s.users.verifyPassword(user, password);
    if (!found) {
      s.limiter.fail(ip, user);
      throw new ApiError(401, 'wrong user name or password', 'check both; after 5 failures logins wait 15 minutes');
    }
    s.limiter.succeed(ip, user);
    const session = await s.sessions.create(found.name);
    setCookie(c, SESSION_COOKIE, session.id, sessionCookieOptions(s.options.secureCookies, Math.floor(s.sessions.ttlMs / 1000)));
    c.set('principal', { kind: 'user', name: found.name, role: found.role });
    return c.json({ user: found.name, role: found.role, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
  });

  app.post('/api/logout', noteAction('logout'), auth, async (c) => {
    const sessionId = c.get('sessionId');
    if (sessionId === undefined) throw new ApiError(400, 'an API token has no session to end', 'delete the token instead: DELETE /api/tokens/ID');
    await s.sessions.delete(sessionId);
    deleteCookie(c, SESSION_COOKIE, sessionCookieOptions(s.options.secureCookies, 0));
    return c.json({ ok: true });
  });

  // For health checks (the proxy's, serve install's): no authentication, nothing about the fleet.
  app.get('/api/health', (c) => c.json({ ok: true }));

  app.get('/api/me', noteAction('me'), auth, (c) => {
    const p = principalOf(c);
    const csrfToken = c.get('csrfToken');
    return c.json({ kind: p.kind, name: p.name, role: p.role, ...(p.envs ? { envs: p.envs } : {}), ...(csrfToken ? { csrfToken } : {}) });
  });
}
