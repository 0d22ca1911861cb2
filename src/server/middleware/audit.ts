// Every API action goes to the audit log through the ops port, whatever its outcome: changes
// (login, logout, deploy, rollback, maintenance, tokens) whether done, refused or failed, and any
// refused request. Successful reads (the fleet view, /api/me, listings) are views, not actions,
// and are not logged. A failure to write the entry is logged and does not change the answer.
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv, ApiServices } from '../api-context.ts';
import { principalLabel } from '../auth/authorize.ts';
import type { ApiAuditEntry } from '../ops.ts';

const MAX_FIELD = 200;

export function auditRequests(s: ApiServices): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    const read = c.req.method === 'GET' || c.req.method === 'HEAD';
    if (read && status < 400) return;
    const n = c.get('audit');
    const p = c.get('principal');
    const entry: ApiAuditEntry = {
      at: new Date(s.now()).toISOString(),
      by: p ? principalLabel(p) : (n?.by ?? 'anonymous'),
      action: cut(n?.action ?? `${c.req.method} ${c.req.path}`),
      ...(n?.env ? { env: n.env } : {}),
      ...(n?.app ? { app: n.app } : {}),
      outcome: outcomeOf(status),
      status,
      ...(n?.detail ? { detail: cut(n.detail) } : {}),
      ip: s.clientIp(c),
    };
    try {
      await s.ops.audit(entry);
    } catch (e) {
      s.log(`audit: could not record ${entry.action} by ${entry.by}: ${(e as Error)?.message ?? String(e)}`);
    }
  };
}

/** 4xx: the API refused the request; 5xx, 409 and 422: the fleet failed or refused the work itself. */
function outcomeOf(status: number): ApiAuditEntry['outcome'] {
  if (status < 400) return 'ok';
  return status >= 500 || status === 409 || status === 422 ? 'failed' : 'refused';
}

function cut(text: string): string {
  return text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD)}…` : text;
}
