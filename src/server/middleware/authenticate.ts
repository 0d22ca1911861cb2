// Who is calling: an API token (`Authorization: Bearer slp_…`) or a session cookie. Cookie
// requests other than GET/HEAD must also carry the session's CSRF token. The principal is set
// before the CSRF check, so a refusal is audited with the user's name.
import { getCookie } from 'hono/cookie';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv, ApiServices } from '../api-context.ts';
import { CSRF_HEADER, csrfMatches, csrfRequired } from '../auth/csrf.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { ApiError } from '../errors.ts';

const LOGIN_HINT = 'log in, or send Authorization: Bearer with an API token';

export function authenticate(s: ApiServices): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const authorization = c.req.header('authorization');
    if (authorization !== undefined) {
      const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1];
      const token = bearer === undefined ? undefined : await s.tokens.lookup(bearer);
      if (!token)
        throw new ApiError(401, 'invalid API token', 'send Authorization: Bearer slp_… with a token an admin created', { 'WWW-Authenticate': 'Bearer' });
      c.set('principal', { kind: 'token', name: token.name, role: token.role, ...(token.envs ? { envs: token.envs } : {}) });
      return next();
    }
    const sessionId = getCookie(c, SESSION_COOKIE);
    const session = sessionId === undefined ? undefined : await s.sessions.lookup(sessionId);
    if (sessionId === undefined || !session)
      throw new ApiError(401, sessionId === undefined ? 'not logged in' : 'the session has expired or ended', LOGIN_HINT);
    const user = await s.users.get(session.user);
    if (!user) throw new ApiError(401, 'the session belongs to a user that no longer exists', LOGIN_HINT);
    c.set('principal', { kind: 'user', name: user.name, role: user.role });
    c.set('sessionId', sessionId);
    c.set('csrfToken', session.csrfToken);
    if (csrfRequired(c.req.method) && !csrfMatches(session.csrfToken, c.req.header(CSRF_HEADER)))
      throw new ApiError(403, `missing or wrong ${CSRF_HEADER} header`, `send the ${CSRF_HEADER} header that login and GET /api/me return`);
    return next();
  };
}
