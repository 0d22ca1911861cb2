// Fuzzes the API in process: random methods, paths (traversal pieces, encodings, junk), bodies
// (JSON, not JSON, bytes, large), content types and credentials. Whatever comes in, the answer is
// below 500, an error answer is JSON `{ error, hint }`, and no answer carries a stack trace.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ControlPlaneApp } from './app.ts';
import { Users } from './auth/users.ts';
import { FakeOps } from './fake-ops.ts';
import { FileStore } from './store/file-store.ts';

const PASSWORD = 'correct horse battery';
let dir: string;
let app: ControlPlaneApp;
let credentials: Record<string, Record<string, string>>;
const env = { incoming: { socket: { remoteAddress: '10.0.0.9' } } };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-fuzz-'));
  const store = new FileStore(dir, { fsync: false });
  await new Users(store, { cost: 4, now: Date.now }).createUser({ name: 'root', role: 'admin', password: PASSWORD });
  const ops = new FakeOps([
    { name: 'staging', protected: false, apps: ['web'] },
    { name: 'prod', protected: true, apps: ['web'] },
  ]);
  // A high login limit, so that random logins do not turn every later one into a 429.
  app = createApp({ store, now: Date.now, ops, options: { secureCookies: true, bcryptCost: 4, loginLimits: { windowMs: 1, perUser: 1e9, perIp: 1e9 } } });
  const login = await app.request(
    '/api/login',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'root', password: PASSWORD }) },
    env,
  );
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const made = await app.request(
    '/api/tokens',
    {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fuzz', role: 'deployer', envs: ['staging'] }),
    },
    env,
  );
  const { token } = (await made.json()) as { token: string };
  credentials = {
    none: {},
    session: { cookie, 'x-csrf-token': csrfToken },
    sessionNoCsrf: { cookie },
    token: { authorization: `Bearer ${token}` },
    junkToken: { authorization: 'Bearer slp_\u00ff' },
    junkCookie: { cookie: 'slipway_session=%%%; other=1' },
  };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const segment = fc.oneof(
  { arbitrary: fc.constantFrom('staging', 'prod', 'web'), weight: 4 },
  fc.constantFrom('staging', 'prod', 'web', '..', '.', '%2e%2e', '..%2F..%2Fetc', '%2F', '%00', '%ZZ', '%', 'Prod', 'a'.repeat(70), '', '\u00e9', '%C0%AE'),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
  fc.string({ maxLength: 20 }),
);
const path = fc.oneof(
  fc.tuple(segment, segment).map(([e, a]) => `/api/envs/${e}/apps/${a}/deploy`),
  fc.tuple(segment, segment).map(([e, a]) => `/api/envs/${e}/apps/${a}/rollback`),
  segment.map((e) => `/api/envs/${e}/maintenance`),
  segment.map((id) => `/api/tokens/${id}`),
  { arbitrary: fc.constantFrom('/api/login', '/api/logout', '/api/me', '/api/fleet', '/api/tokens', '/api/audit'), weight: 3 },
  fc.constantFrom('/', '/api', '/api/', '/api//fleet', '/api/login/', '/API/LOGIN'),
  fc.array(segment, { maxLength: 6 }).map((s) => `/${s.join('/')}`),
);
const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        user: fc.string(),
        password: fc.string(),
        on: fc.anything(),
        ref: fc.string(),
        image: fc.string(),
        name: fc.string(),
        role: fc.string(),
        envs: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 1, max: 3 }).map((n) => '['.repeat(n * 5000)),
  fc.constant('x'.repeat(1024 * 1024 + 10)),
);
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 4 },
  fc.constantFrom(undefined, 'application/json; charset=utf-8', 'text/plain', 'application/problem+json', 'multipart/form-data'),
);
const method = fc.oneof({ arbitrary: fc.constant('POST'), weight: 4 }, fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'));

describe('API fuzz', () => {
  it('answers anything with < 500, JSON errors and no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        path,
        body,
        contentType,
        fc.oneof({ arbitrary: fc.constantFrom('session', 'token'), weight: 3 }, fc.constantFrom('none', 'sessionNoCsrf', 'junkToken', 'junkCookie')),
        async (m, p, b, ct, who) => {
          let req: Request;
          try {
            req = new Request(new URL(p, 'http://localhost'), {
              method: m,
              headers: { ...credentials[who], ...(ct ? { 'content-type': ct } : {}) },
              ...(b !== undefined && m !== 'GET' && m !== 'HEAD' ? { body: b } : {}),
            });
          } catch {
            return; // Not a request an HTTP client could send.
          }
          const res = await app.request(req, undefined, env);
          const text = await res.text();
          expect(res.status, `${m} ${p}`).toBeLessThan(500);
          expect(text).not.toContain('    at ');
          if (res.status >= 400 && m !== 'HEAD') expect(JSON.parse(text)).toEqual({ error: expect.any(String), hint: expect.any(String) });
        },
      ),
      { numRuns: 400 },
    );
  });
});
