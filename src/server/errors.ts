// The HTTP error boundary: every error a route throws becomes JSON `{ error, hint }` with a 4xx
// status when the client can fix it (or 5xx when the fleet or the control plane failed), and
// never a stack trace. Unexpected errors are answered with a generic message; their details go
// to the control plane's log only.
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UserError } from '../diag/errors.ts';
import { EngineError, ExecError } from '../engine/engine-errors.ts';
import { LockHeldError } from '../workflows/lock.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly hint: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ErrorAnswer {
  status: ContentfulStatusCode;
  body: { error: string; hint: string };
  headers: Record<string, string>;
  /** An unexpected error: the caller logs it. */
  unexpected: boolean;
}

const DEFAULT_HINTS: Partial<Record<number, string>> = {
  400: 'check the request against the API',
  401: 'log in, or send Authorization: Bearer with an API token',
  403: 'ask an admin for the access you need',
  404: 'check the path and the names in it',
  413: 'send a smaller body',
  415: 'send JSON with Content-Type: application/json',
};

export function answerError(e: unknown): ErrorAnswer {
  const answer = (status: ContentfulStatusCode, error: string, hint?: string, headers: Record<string, string> = {}, unexpected = false): ErrorAnswer => ({
    status,
    body: { error, hint: hint ?? DEFAULT_HINTS[status] ?? 'try again later' },
    headers,
    unexpected,
  });
  if (e instanceof ApiError) return answer(e.status, e.message, e.hint, e.headers);
  if (e instanceof HTTPException) {
    const status = e.status as ContentfulStatusCode;
    return answer(status, e.message || e.getResponse().statusText || `HTTP ${status}`);
  }
  if (e instanceof LockHeldError) return answer(409, e.message, e.hint);
  if (e instanceof UserError) return answer(422, e.message, e.hint);
  if (e instanceof EngineError) return answer(502, e.message, 'check that the server is reachable and its Docker engine runs');
  if (e instanceof ExecError) return answer(502, `a command failed on ${e.host} (exit ${e.exitCode})`, "see the control plane's log");
  return answer(500, 'internal error', "the control plane's log has the details", {}, true);
}
