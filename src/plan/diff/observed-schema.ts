// Parses an observed-state snapshot (`plan --observed file.json`) into ObservedState, reporting
// every problem as a Diagnostic (key path + message), never as an exception or stack trace.
// In a snapshot, a container's key, role, specHash and release may be left out: they are then
// derived from its labels, exactly as `observe` does.
import { z } from 'zod';
import { defaultTls, type TlsMode } from '../../config/fleet.ts';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import type { Role } from '../desire/desired.ts';
import { LABELS, containerKeyFromLabels, roleFromLabels, type ObservedContainer, type ObservedServer, type ObservedState } from './observed.ts';

const labels = z.record(z.string(), z.string());
const named = z.object({ name: z.string().min(1), labels: labels.default({}) }).strict();
const role = z.enum(['app', 'proxy', 'service', 'release-task']);

const container = z
  .object({
    id: z.string().optional(),
    name: z.string().min(1),
    key: z.string().min(1).optional(),
    role: role.optional(),
    image: z.string().min(1),
    labels: labels.default({}),
    specHash: z.string().optional(),
    release: z.string().optional(),
    state: z.enum(['running', 'exited', 'created', 'restarting', 'paused', 'dead']),
    health: z.enum(['healthy', 'unhealthy', 'starting', 'none']).optional(),
    createdAt: z.string().optional(),
    networks: z.array(z.string()).optional(),
  })
  .strict();

const tlsMode = z.enum(['auto', 'off', 'internal', 'files']);
/** A route's TLS: the settings object, or (state written before TLS settings existed) just the mode. */
const tlsSettings = z.preprocess(
  (v) => (v === undefined ? defaultTls('auto') : typeof v === 'string' ? defaultTls(v as TlsMode) : v),
  z
    .object({
      mode: tlsMode,
      challenge: z.enum(['http', 'dns']),
      acme: z.object({ directory: z.string(), email: z.string().optional(), caRoot: z.string().optional() }).strict(),
      renewBeforeDays: z.number().int().positive(),
      redirect: z.boolean(),
      hsts: z.object({ maxAgeS: z.number().int().nonnegative(), includeSubdomains: z.boolean(), preload: z.boolean() }).strict().nullable(),
      files: z.object({ cert: z.string(), key: z.string() }).strict().optional(),
    })
    .strict(),
);

const route = z
  .object({
    host: z.string().min(1),
    env: z.string().default(''),
    app: z.string().default(''),
    upstream: z.string().min(1),
    tls: tlsSettings,
    basicAuth: z
      .array(z.object({ user: z.string(), secret: z.string() }).strict())
      .nullable()
      .default(null),
    rateLimit: z.object({ rps: z.number().positive(), burst: z.number().int().nonnegative() }).strict().nullable().default(null),
    maintenance: z.boolean().default(false),
  })
  .strict();

const database = z.object({ service: z.string(), instance: z.string(), database: z.string().min(1), user: z.string().min(1) }).strict();

const redisDb = z.object({ service: z.string(), instance: z.string(), env: z.string(), app: z.string(), db: z.number().int().min(0) }).strict();

const server = z
  .object({
    server: z.string().min(1),
    networks: z.array(named).default([]),
    volumes: z.array(named).default([]),
    containers: z.array(container).default([]),
    routes: z.array(route).optional(),
    databases: z.array(database).optional(),
    redisDbs: z.array(redisDb).optional(),
    redisAcls: z.array(z.object({ instance: z.string(), digest: z.string(), users: z.array(z.string()) }).strict()).optional(),
  })
  .strict();

export const observedStateSchema = z.object({ project: z.string().min(1), servers: z.array(server) }).strict();

export interface ObservedParse {
  /** Present only when there is no error diagnostic. */
  observed?: ObservedState;
  diagnostics: Diagnostic[];
}

/** Parses JSON text (a snapshot file) into ObservedState. */
export function parseObservedJson(text: string, file = '<observed>'): ObservedParse {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(msg);
    const d: Diagnostic = {
      severity: 'error',
      code: 'bad-json',
      path: '',
      message: `${file} is not valid JSON: ${msg.split('\n')[0]}`,
      hint: 'write a snapshot with `slipway plan --save-observed file.json`',
    };
    if (at) d.pos = positionAt(text, Number(at[1]), file);
    return { diagnostics: [d] };
  }
  return parseObserved(raw);
}

/** Validates an already-parsed value as ObservedState. */
export function parseObserved(raw: unknown): ObservedParse {
  const res = observedStateSchema.safeParse(raw);
  if (!res.success) return { diagnostics: res.error.issues.flatMap((i) => issueToDiagnostics(i)) };

  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const servers: ObservedServer[] = res.data.servers.map((s, si) => {
    if (seen.has(s.server)) {
      diagnostics.push(diag('duplicate-server', `servers/${si}/server`, `server "${s.server}" appears twice`));
    }
    seen.add(s.server);
    const containers: ObservedContainer[] = [];
    s.containers.forEach((c, ci) => {
      const path = `servers/${si}/containers/${ci}`;
      const r: Role | undefined = c.role ?? roleFromLabels(c.labels);
      const key = c.key ?? containerKeyFromLabels(c.labels);
      if (!r) {
        diagnostics.push(diag('no-role', `${path}/role`, `container "${c.name}" has no role`, `set "role" or the label ${LABELS.role}`));
        return;
      }
      if (!key) {
        diagnostics.push(
          diag(
            'no-key',
            `${path}/key`,
            `container "${c.name}" has no key and its labels do not identify it`,
            `set "key", or the labels ${LABELS.app}/${LABELS.env}/${LABELS.process} (or ${LABELS.service})`,
          ),
        );
        return;
      }
      const out: ObservedContainer = { name: c.name, key, role: r, image: c.image, labels: c.labels, state: c.state };
      if (c.id !== undefined) out.id = c.id;
      const specHash = c.specHash ?? c.labels[LABELS.specHash];
      if (specHash !== undefined) out.specHash = specHash;
      const release = c.release ?? c.labels[LABELS.release];
      if (release !== undefined) out.release = release;
      if (c.health !== undefined) out.health = c.health;
      if (c.createdAt !== undefined) out.createdAt = c.createdAt;
      if (c.networks !== undefined) out.networks = [...c.networks].sort();
      containers.push(out);
    });
    const o: ObservedServer = { server: s.server, networks: s.networks, volumes: s.volumes, containers };
    if (s.routes) o.routes = s.routes;
    if (s.databases) o.databases = s.databases;
    if (s.redisDbs) o.redisDbs = s.redisDbs;
    if (s.redisAcls) o.redisAcls = s.redisAcls;
    return o;
  });
  if (diagnostics.length > 0) return { diagnostics };
  return { observed: { project: res.data.project, servers }, diagnostics };
}

function issueToDiagnostics(issue: z.ZodIssue): Diagnostic[] {
  const path = issue.path.join('/');
  switch (issue.code) {
    case 'invalid_type':
      if (issue.received === 'undefined') {
        const key = String(issue.path[issue.path.length - 1] ?? '');
        return [diag('missing-key', path, `missing required key "${key}" (${issue.expected})`)];
      }
      return [diag('bad-type', path, `expected ${issue.expected}, got ${issue.received}`)];
    case 'unrecognized_keys':
      return issue.keys.map((k) => diag('unknown-key', path ? `${path}/${k}` : k, `unknown key "${k}"`, 'remove it, or check its spelling'));
    case 'invalid_enum_value':
      return [diag('bad-value', path, `"${String(issue.received)}" is not allowed`, `use one of: ${issue.options.map(String).join(', ')}`)];
    default:
      return [diag('bad-value', path, issue.message)];
  }
}

function diag(code: string, path: string, message: string, hint?: string): Diagnostic {
  const d: Diagnostic = { severity: 'error', code, path, message };
  if (hint) d.hint = hint;
  return d;
}

function positionAt(text: string, offset: number, file: string): { file: string; line: number; col: number } {
  const before = text.slice(0, offset);
  const lines = before.split('\n');
  return { file, line: lines.length, col: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
