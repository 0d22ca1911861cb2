// CSRF protection for cookie-authenticated requests: anything but GET and HEAD must carry the
// session's token in `X-CSRF-Token` (returned by login and /api/me). A cross-site page can make
// the browser send the cookie, but cannot read the token. Bearer-token requests carry no ambient
// credential and need no CSRF token.
import { constantTimeEqual } from './digest.ts';

export const CSRF_HEADER = 'X-CSRF-Token';

export function csrfRequired(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** True when `sent` is the session's token (compared in constant time). */
export function csrfMatches(expected: string, sent: string | undefined): boolean {
  return sent !== undefined && constantTimeEqual(expected, sent);
}
