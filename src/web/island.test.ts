// The script island run against the real app in process: a minimal stand-in for the browser's
// document, forms and fetch (the cookie goes with same-origin requests, as a browser sends it).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type ControlPlaneApp } from '../server/app.ts';
import { Users } from '../server/auth/users.ts';
import { FakeOps } from '../server/fake-ops.ts';
import { FileStore } from '../server/store/file-store.ts';
import { APP_JS } from './assets/app-js.ts';
import { mountWeb } from './routes.ts';

const PASSWORD = 'correct horse battery';

class FakeForm {
  readonly attrs = new Map<string, string>();
  readonly out = { textContent: '', classList: { bad: false, toggle: (_: string, on: boolean) => void (this.out.classList.bad = on) } };
  #settled: () => void = () => undefined;
  readonly settled = new Promise<void>((resolve) => (this.#settled = resolve));
  constructor(
    attrs: Record<string, string>,
    readonly fields: [string, string][],
  ) {
    for (const [k, v] of Object.entries(attrs)) this.attrs.set(k, v);
  }
  getAttribute(k: string) {
    return this.attrs.get(k) ?? null;
  }
  hasAttribute(k: string) {
    return this.attrs.has(k);
  }
  setAttribute(k: string, v: string) {
    this.attrs.set(k, v);
    if (k === 'aria-busy' && v === 'false') this.#settled();
  }
  querySelector(sel: string) {
    return sel === 'output' ? this.out : null;
  }
  querySelectorAll() {
    return [];
  }
}

class FakeFormData {
  readonly entries: [string, string][];
  constructor(form: FakeForm) {
    this.entries = [...form.fields];
  }
  append(k: string, v: string) {
    this.entries.push([k, v]);
  }
  forEach(f: (v: string, k: string) => void) {
    for (const [k, v] of this.entries) f(v, k);
  }
}

let dir: string;
let app: ControlPlaneApp;
let ops: FakeOps;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-island-'));
  const store = new FileStore(dir, { fsync: false });
  await new Users(store, { cost: 4, now: () => 0 }).createUser({ name: 'alice', role: 'deployer', password: PASSWORD });
  ops = new FakeOps([
    { name: 'staging', protected: false, apps: ['web'] },
    { name: 'prod', protected: true, apps: ['web'] },
  ]);
  app = createApp({ store, now: () => Date.UTC(2025, 0, 1), ops, options: { secureCookies: true, bcryptCost: 4 } });
  mountWeb(app, { now: () => Date.UTC(2025, 0, 1) });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A browser tab: the island loaded, a cookie jar of one, and the requests it made. */
function tab() {
  const jar: { cookie?: string } = {};
  const sent: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
  let onSubmit: ((e: unknown) => void) | undefined;
  const location = { pathname: '/envs/staging', assigned: '', assign: (u: string) => void (location.assigned = u) };
  const fetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const headers = { ...init.headers, ...(jar.cookie ? { cookie: jar.cookie } : {}) };
    sent.push({ url, method: init.method ?? 'GET', headers, ...(init.body ? { body: init.body } : {}) });
    const res = await app.request(url, { method: init.method ?? 'GET', headers, ...(init.body ? { body: init.body } : {}) });
    const set = res.headers.get('set-cookie');
    if (set) jar.cookie = set.split(';')[0];
    return res;
  };
  runInNewContext(APP_JS, {
    document: { addEventListener: (type: string, f: (e: unknown) => void) => type === 'submit' && (onSubmit = f), querySelectorAll: () => [] },
    window: { location, confirm: () => true },
    HTMLFormElement: FakeForm,
    HTMLButtonElement: class {},
    FormData: FakeFormData,
    fetch,
    encodeURIComponent,
    JSON,
    Promise,
  });
  async function submit(form: FakeForm, submitter?: { name: string; value: string }): Promise<FakeForm> {
    let prevented = false;
    onSubmit?.({ target: form, submitter, preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    await form.settled;
    return form;
  }
  return { jar, sent, location, submit };
}

describe('the script island', () => {
  it('logs in without a CSRF token, then deploys with the token from /api/me and shows the release', async () => {
    const t = tab();
    const login = await t.submit(
      new FakeForm({ 'data-api': '/api/login', 'data-no-csrf': '', 'data-next': '/envs/staging' }, [
        ['user', 'alice'],
        ['password', PASSWORD],
      ]),
    );
    expect(login.out.classList.bad).toBe(false);
    expect(t.location.assigned).toBe('/envs/staging');
    expect(t.sent[0]).toMatchObject({ url: '/api/login', method: 'POST' });
    expect(t.sent[0]!.headers['x-csrf-token']).toBeUndefined();

    const deploy = await t.submit(
      new FakeForm({ 'data-api': '/api/envs/staging/apps/web/deploy' }, [
        ['ref', ' main '],
        ['image', ''],
      ]),
    );
    expect(t.sent.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/login', 'GET /api/me', 'POST /api/envs/staging/apps/web/deploy']);
    const post = t.sent[2]!;
    expect(post.headers['x-csrf-token']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.parse(post.body!)).toEqual({ ref: 'main' });
    expect(ops.calls.at(-1)).toEqual({ op: 'deploy', app: 'web', env: 'staging', req: { by: 'alice', ref: 'main' } });
    expect(deploy.out.textContent).toBe('Done: release r2.');

    // The clicked button's value goes as a boolean; the token is fetched once per page.
    const maintenance = await t.submit(new FakeForm({ 'data-api': '/api/envs/staging/maintenance', 'data-bools': 'on' }, []), { name: 'on', value: 'true' });
    expect(JSON.parse(t.sent.at(-1)!.body!)).toEqual({ on: true });
    expect(t.sent.filter((s) => s.url === '/api/me')).toHaveLength(1);
    expect(maintenance.out.textContent).toBe('Maintenance is on.');
  });

  it("shows the API's refusal and hint as text, marked as an error", async () => {
    const t = tab();
    await t.submit(
      new FakeForm({ 'data-api': '/api/login', 'data-no-csrf': '' }, [
        ['user', 'alice'],
        ['password', PASSWORD],
      ]),
    );
    const form = await t.submit(new FakeForm({ 'data-api': '/api/envs/prod/apps/web/deploy' }, [['image', 'web:1']]));
    expect(form.out.classList.bad).toBe(true);
    expect(form.out.textContent).toBe(
      'prod is protected: only admins may deploy it: ask an admin, or deploy a tag through the webhook as the deploy policy says',
    );
    expect(ops.calls.filter((c) => c.env === 'prod')).toEqual([]);
  });

  it('sends the visitor to /login when the session is gone', async () => {
    const t = tab();
    await t.submit(new FakeForm({ 'data-api': '/api/envs/staging/apps/web/rollback' }, []));
    expect(t.location.assigned).toBe('/login?next=%2Fenvs%2Fstaging');
  });
});
