// Git webhooks over HTTP. POST /hooks/git takes deliveries from GitHub, GitLab and Gitea (the
// provider from its event header); it has no session and no CSRF token: the provider's signature
// (or GitLab's token) over the raw body, read with a size limit, is the authentication. It answers
// 202 with the delivery id when deploys were queued, 200 when nothing is to be deployed, 401 for a
// bad signature and 400 for a body that is not the event it claims; every delivery, refused ones
// included, is in the delivery list and the API audit log. GET /api/webhooks/deliveries lists
// them (viewer); POST /api/webhooks/deliveries/ID/redeliver runs one's push again (admin).
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type ApiContext, type ApiEnv, type ApiServices, nameParam, note, noteAction, principalOf } from '../api-context.ts';
import { authorize } from '../auth/authorize.ts';
import { ApiError } from '../errors.ts';
import { authenticate } from '../middleware/authenticate.ts';
import type { ApiAuditEntry } from '../ops.ts';
import { type Delivery, httpStatus, type WebhookReceiver } from '../webhooks/deliveries.ts';
import type { DeliveryLog } from '../webhooks/delivery-log.ts';

export interface WebhookRoutesDeps {
  receiver: Pick<WebhookReceiver, 'receive' | 'redeliver'>;
  deliveries: Pick<DeliveryLog, 'list' | 'get'>;
  /** Largest delivery body accepted (GitHub sends at most 25 MB; pushes are far smaller). */
  maxBodyBytes?: number;
}

const HINTS: Record<string, string> = {
  signature: 'set the same secret on the git host as control_plane.webhooks.secret names',
  payload: 'send push and tag events as application/json',
  'unknown-provider': 'send the delivery from GitHub, GitLab or Gitea (X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event)',
};

export function webhookRoutes(app: Hono<ApiEnv>, s: ApiServices, deps: WebhookRoutesDeps): void {
  const auth = authenticate(s);
  const maxSize = deps.maxBodyBytes ?? s.options.maxBodyBytes;

  app.post(
    '/hooks/git',
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, `the delivery is larger than ${maxSize} bytes`, 'send a smaller body');
      },
    }),
    async (c) => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      const d = await deps.receiver.receive({ headers: c.req.raw.headers, body });
      await auditDelivery(c, s, d);
      const status = httpStatus(d);
      if (d.verdict === 'refused')
        return c.json({ error: d.reason ?? 'refused', hint: HINTS[d.refusal ?? ''] ?? 'check the webhook on the git host', id: d.id }, status);
      if (d.verdict === 'ignored') return c.json({ id: d.id, verdict: d.verdict, reason: d.reason }, 200);
      return c.json({ id: d.id, verdict: d.verdict, targets: d.targets.map((t) => t.env), skipped: d.skipped }, 202);
    },
  );

  app.get('/api/webhooks/deliveries', noteAction('webhook.deliveries'), auth, async (c) => {
    const p = principalOf(c);
    allow(c, 'view');
    const list = await deps.deliveries.list();
    // A token limited to some environments sees the deliveries that touched them.
    const scope = p.envs;
    const visible = scope ? list.filter((d) => [...d.targets, ...d.skipped].some((t) => scope.includes(t.env))) : list;
    return c.json({ deliveries: visible });
  });

  app.post('/api/webhooks/deliveries/:id/redeliver', noteAction('webhook.redeliver'), auth, async (c) => {
    allow(c, 'admin');
    const id = nameParam(c, 'id');
    note(c, { detail: `delivery ${id}` });
    const original = await deps.deliveries.get(id);
    if (!original) throw new ApiError(404, `no webhook delivery ${id}`, 'GET /api/webhooks/deliveries lists them');
    const d = await deps.receiver.redeliver(original);
    note(c, { detail: `delivery ${id} again as ${d.id}: ${d.verdict}${d.targets.length ? ` → ${d.targets.map((t) => t.env).join(', ')}` : ''}` });
    return c.json({ id: d.id, redeliveryOf: id, verdict: d.verdict, targets: d.targets.map((t) => t.env), ...(d.reason ? { reason: d.reason } : {}) }, 202);
  });
}

function allow(c: ApiContext, action: 'view' | 'admin'): void {
  const d = authorize(principalOf(c), action);
  if (!d.ok) throw new ApiError(403, d.reason, d.hint);
}

/** /hooks/git is outside /api (no audit middleware there): each delivery is recorded here. */
async function auditDelivery(c: ApiContext, s: ApiServices, d: Delivery): Promise<void> {
  const push = d.push;
  const what = push ? `${push.kind} ${push.name} ${push.sha.slice(0, 12)} of ${push.repo.fullName}` : (d.event ?? 'delivery');
  const detail =
    d.verdict === 'refused' || d.verdict === 'ignored'
      ? `${d.verdict} ${what}: ${d.reason ?? ''}`
      : `${what} → ${d.targets.map((t) => t.env).join(', ')} (delivery ${d.id})`;
  const entry: ApiAuditEntry = {
    at: new Date(s.now()).toISOString(),
    by: `webhook ${d.provider ?? 'unknown'}`,
    action: 'webhook',
    outcome: d.verdict === 'refused' ? 'refused' : 'ok',
    status: d.verdict === 'refused' ? httpStatus(d) : d.verdict === 'ignored' ? 200 : 202,
    detail: detail.length > 200 ? `${detail.slice(0, 200)}…` : detail,
    ip: s.clientIp(c),
  };
  try {
    await s.ops.audit(entry);
  } catch (e) {
    s.log(`audit: could not record webhook delivery ${d.id}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
