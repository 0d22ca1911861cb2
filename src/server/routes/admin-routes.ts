// Admin-only: API tokens (create: the secret is in this one answer only; list: never secrets;
// delete) and the audit log.
import type { Hono } from 'hono';
import { z } from 'zod';
import { type ApiContext, type ApiEnv, type ApiServices, nameParam, note, noteAction, principalOf } from '../api-context.ts';
import { authorize, principalLabel, ROLES } from '../auth/authorize.ts';
import { readJson } from '../body.ts';
import { ApiError } from '../errors.ts';
import { authenticate } from '../middleware/authenticate.ts';
import { NAME_PATTERN } from '../names.ts';

const name = z.string().regex(NAME_PATTERN, 'lower-case letters, digits and dashes, at most 63');
const tokenBody = z.object({ name, role: z.enum(ROLES), envs: z.array(name).min(1).max(100).optional() }).strict();

export function adminRoutes(app: Hono<ApiEnv>, s: ApiServices): void {
  const auth = authenticate(s);

  app.post('/api/tokens', noteAction('token.create'), auth, async (c) => {
    requireAdmin(c);
    const body = await readJson(c.req.raw, tokenBody, s.options.maxBodyBytes);
    note(c, { detail: `token ${body.name}: ${body.role}${body.envs ? `, limited to ${body.envs.join(', ')}` : ''}` });
    const created = await s.tokens.create({ ...body, createdBy: principalLabel(principalOf(c)) });
    return c.json(created, 201);
  });

  app.get('/api/tokens', noteAction('token.list'), auth, async (c) => {
    requireAdmin(c);
    return c.json({ tokens: await s.tokens.list() });
  });

  app.delete('/api/tokens/:id', noteAction('token.delete'), auth, async (c) => {
    requireAdmin(c);
    const id = nameParam(c, 'id');
    note(c, { detail: `token id ${id}` });
    if (!(await s.tokens.delete(id))) throw new ApiError(404, `no token ${id}`, 'GET /api/tokens lists them');
    return c.json({ deleted: id });
  });

  app.get('/api/audit', noteAction('audit.view'), auth, async (c) => {
    requireAdmin(c);
    return c.json({ entries: await s.ops.auditLog() });
  });
}

function requireAdmin(c: ApiContext): void {
  const d = authorize(principalOf(c), 'admin');
  if (!d.ok) throw new ApiError(403, d.reason, d.hint);
}
