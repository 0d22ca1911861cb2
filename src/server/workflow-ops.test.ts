// The real ControlPlaneOps over FakeEngines: every call re-reads the fleet file (written to a temp
// dir), opens a session through the real fleet runtime with an injected connector, and runs the
// CLI's workflows. Deploy then fleet shows the release; rollback; maintenance on/off rewrites the
// proxy config; a protected environment's policy refusal is a UserError; the API audit log is a
// JSON-lines file. Then the HTTP API (createApp) over these ops: login, fleet, deploy.
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caddyRoutes, type FakeWorld, fakeWorld, TWO_SERVERS, upAll } from '../../test/support/fake-session.ts';
import { UserError } from '../diag/errors.ts';
import { readAudit } from '../workflows/audit.ts';
import { readHistory } from '../workflows/releases.ts';
import { StateStore } from '../workflows/state-store.ts';
import { createApp } from './app.ts';
import { Users } from './auth/users.ts';
import { fleetFileLoader } from './ops-fleet-file.ts';
import type { ApiAuditEntry, ControlPlaneOps } from './ops.ts';
import { FileStore } from './store/file-store.ts';
import { createWorkflowOps } from './workflow-ops.ts';

// prod is protected and takes only `v*` tags (an image's tag for image deploys).
const FLEET = TWO_SERVERS.replace('prod: { server: s1,', 'prod: { server: s1, protected: true, deploy: { tags: "v*" },');
const CADDY = '/etc/caddy/caddy.json';
const serves503 = (config: string, host: string) => caddyRoutes(config, host).some((r) => JSON.stringify(r.handle ?? []).includes('"status_code":503'));

let dir: string;
let fleetFile: string;
let w: FakeWorld;
let ops: ControlPlaneOps;
let progress: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-wops-'));
  fleetFile = join(dir, 'slipway.yaml');
  await writeFile(fleetFile, FLEET);
  w = await fakeWorld(FLEET, { images: ['caddy:2', 'nginx:1.27', 'acme/web:v1', 'acme/web:dev'] });
  await upAll(w);
  progress = [];
  ops = createWorkflowOps({
    loadFleet: fleetFileLoader(fleetFile),
    dataDir: join(dir, 'serve'),
    now: () => w.clock.t,
    reportTo: { write: (t) => void progress.push(t) },
    // The world's own connections (its engines and health-probe dialer), never closed by a session.
    connector: async (server) => ({ ...w.session.connections.find((c) => c.server.name === server.name)!, close: async () => {} }),
    sleep: async (ms) => {
      w.clock.t += ms;
    },
  });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const later = () => {
  w.clock.t += 60_000;
};

describe('createWorkflowOps', () => {
  it('environment(): protected flag and apps from the fleet file, re-read on each call', async () => {
    expect(await ops.environment('prod')).toEqual({ name: 'prod', protected: true, apps: ['web'] });
    expect(await ops.environment('staging')).toEqual({ name: 'staging', protected: false, apps: ['web'] });
    expect(await ops.environment('nope')).toBeUndefined();
    await writeFile(fleetFile, FLEET.replace('protected: true, ', ''));
    expect((await ops.environment('prod'))?.protected).toBe(false);
  });

  it('deploy, then the fleet view shows the release on every process of the app; progress goes to reportTo', async () => {
    const r = await ops.deploy('web', 'staging', { by: 'alice' });
    expect(r).toMatchObject({ app: 'web', env: 'staging', server: 's1', image: expect.stringContaining('acme/web') });
    expect(progress.join('')).toContain(r.release);

    const view = await ops.fleet();
    expect(view.environments.map((e) => [e.name, e.protected, e.apps])).toEqual([
      ['staging', false, ['web']],
      ['prod', true, ['web']],
      ['qual', false, ['web']],
    ]);
    const staging = view.processes.filter((p) => p.env === 'staging' && p.app === 'web');
    expect(staging.map((p) => [p.process, p.release, p.state])).toEqual([
      ['web', r.release, 'running'],
      ['worker', r.release, 'running'],
    ]);
    // Rows from both servers; qual (s2) was never deployed.
    expect(view.processes.some((p) => p.server === 's2' && p.env === 'qual' && p.release === null)).toBe(true);
    expect(view.backups.map((b) => b.env).sort()).toEqual(['prod', 'qual', 'staging']);
  });

  it('one unreachable server is listed as such; the fleet view still shows the others', async () => {
    const partial = createWorkflowOps({
      loadFleet: fleetFileLoader(fleetFile),
      dataDir: join(dir, 'serve'),
      now: () => w.clock.t,
      reportTo: null,
      connector: async (server) => {
        if (server.name === 's2') throw Object.assign(new Error('ssh: connect to host s2 port 22: Connection refused'), { hint: 'is it up?' });
        return { ...w.session.connections.find((c) => c.server.name === server.name)!, close: async () => {} };
      },
    });
    const view = await partial.fleet();
    expect(view.unreachable).toEqual([{ server: 's2', error: 'ssh: connect to host s2 port 22: Connection refused', hint: 'is it up?' }]);
    expect(new Set(view.processes.map((p) => p.server))).toEqual(new Set(['s1']));
    expect(view.environments.map((e) => e.name)).toEqual(['staging', 'prod', 'qual']);
  });

  it("the workflows' own audit and release records name the API's user, not serve's OS user", async () => {
    const r = await ops.deploy('web', 'staging', { by: 'alice' });
    await ops.setMaintenance('staging', true, { by: 'token ci' });
    const store = new StateStore(w.engine('s1'), 'acme');
    const entries = await readAudit(store);
    expect(entries.filter((e) => e.action === 'deploy' && e.outcome === 'ok').map((e) => e.by)).toEqual(['alice via slipway serve']);
    expect(entries.filter((e) => e.action === 'maintenance on').map((e) => e.by)).toEqual(['token ci via slipway serve']);
    const history = await readHistory(store, 'web', 'staging');
    expect(history.releases.find((x) => x.release === r.release)?.deployedBy).toBe('alice via slipway serve');
  });

  it('rollback: back to the previous release (or a named one); an unknown release is a UserError', async () => {
    const r1 = await ops.deploy('web', 'staging', { by: 'alice' });
    later();
    const r2 = await ops.deploy('web', 'staging', { by: 'alice' });
    expect(r2.release).not.toBe(r1.release);
    later();
    const back = await ops.rollback('web', 'staging', { by: 'alice' });
    expect(back.release).toBe(r1.release);
    expect((await readHistory(w.run('s1').store, 'web', 'staging')).current).toBe(r1.release);
    expect((await ops.fleet()).processes.find((p) => p.env === 'staging' && p.process === 'web')?.release).toBe(r1.release);
    later();
    await expect(ops.rollback('web', 'staging', { by: 'alice', release: 'no-such' })).rejects.toThrow(UserError);
    expect((await ops.rollback('web', 'staging', { by: 'alice', release: r2.release })).release).toBe(r2.release);
  });

  it("maintenance on/off for every routed app of the environment changes the proxy's config", async () => {
    const fake = w.engine('s1');
    const on = await ops.setMaintenance('prod', true, { by: 'root' });
    expect(on).toEqual([{ app: 'web', env: 'prod', server: 's1', maintenance: true, reloaded: true, inMaintenance: ['web/prod'] }]);
    expect(serves503(fake.readFile('acme-proxy', CADDY)!, 'web.localhost')).toBe(true);
    expect(serves503(fake.readFile('acme-proxy', CADDY)!, 'web-staging.localhost')).toBe(false);

    const off = await ops.setMaintenance('prod', false, { by: 'root' });
    expect(off.map((r) => [r.app, r.maintenance, r.inMaintenance])).toEqual([['web', false, []]]);
    expect(serves503(fake.readFile('acme-proxy', CADDY)!, 'web.localhost')).toBe(false);
    // qual is on s2 (nginx): its session opens there only.
    expect((await ops.setMaintenance('qual', true, { by: 'root' })).map((r) => r.server)).toEqual(['s2']);
  });

  it("a protected environment's deploy policy refuses what it does not accept, as a UserError, with nothing started", async () => {
    const fake = w.engine('s1');
    fake.clearTranscript();
    const refused = ops.deploy('web', 'prod', { by: 'root', image: 'acme/web:dev' });
    await expect(refused).rejects.toBeInstanceOf(UserError);
    await expect(refused).rejects.toThrow('prod only accepts releases tagged "v*"');
    expect(fake.ops('createContainer', 'startContainer')).toEqual([]);
    // The tag it accepts deploys.
    expect((await ops.deploy('web', 'prod', { by: 'root', image: 'acme/web:v1' })).env).toBe('prod');
  });

  it('unknown names and a broken fleet file are UserErrors', async () => {
    await expect(ops.deploy('nope', 'staging', { by: 'a' })).rejects.toThrow('unknown app "nope"');
    await expect(ops.setMaintenance('nope', true, { by: 'a' })).rejects.toThrow('unknown environment "nope"');
    await writeFile(fleetFile, 'project: acme\nservers: [\n');
    const broken = ops.fleet();
    await expect(broken).rejects.toBeInstanceOf(UserError);
    await expect(broken).rejects.toThrow(/the fleet file has \d+ problem/);
  });

  it('audit entries go to audit.jsonl in the data dir (0600), read back oldest first', async () => {
    const entry = (action: string): ApiAuditEntry => ({ at: new Date(w.clock.t).toISOString(), by: 'root', action, outcome: 'ok', status: 200 });
    expect(await ops.auditLog()).toEqual([]);
    await Promise.all([ops.audit(entry('login')), ops.audit(entry('deploy'))]);
    await ops.audit(entry('logout'));
    expect((await ops.auditLog()).map((e) => e.action).sort()).toEqual(['deploy', 'login', 'logout']);
    expect((await ops.auditLog()).at(-1)?.action).toBe('logout');
    const file = join(dir, 'serve', 'audit.jsonl');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // A torn last line (a crash mid-append) is skipped.
    await writeFile(file, `${await readFile(file, 'utf8')}{"at":"x","by`, { flag: 'w' });
    expect(await ops.auditLog()).toHaveLength(3);
  });
});

describe('the HTTP API over the real ops', () => {
  it('login, GET /api/fleet, POST deploy: 200 with a release that the fleet then shows', async () => {
    const store = new FileStore(join(dir, 'serve'), { fsync: false });
    await new Users(store, { cost: 4, now: () => w.clock.t }).createUser({ name: 'root', role: 'admin', password: 'correct horse battery' });
    const app = createApp({ store, now: () => w.clock.t, ops, options: { secureCookies: true, bcryptCost: 4 } });
    const bindings = { incoming: { socket: { remoteAddress: '10.0.0.1' } } };
    const json = { 'content-type': 'application/json' };

    const login = await app.request(
      '/api/login',
      { method: 'POST', headers: json, body: JSON.stringify({ user: 'root', password: 'correct horse battery' }) },
      bindings,
    );
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const headers = { ...json, cookie, 'x-csrf-token': csrfToken };

    const fleet = await app.request('/api/fleet', { headers: { cookie } }, bindings);
    expect(fleet.status).toBe(200);
    expect(((await fleet.json()) as { environments: { name: string }[] }).environments.map((e) => e.name)).toEqual(['staging', 'prod', 'qual']);

    const deployed = await app.request('/api/envs/staging/apps/web/deploy', { method: 'POST', headers, body: '{}' }, bindings);
    expect(deployed.status).toBe(200);
    const result = (await deployed.json()) as { release: string; env: string };
    expect(result.env).toBe('staging');
    expect(result.release).toMatch(/\S/);

    const after = (await (await app.request('/api/fleet', { headers: { cookie } }, bindings)).json()) as {
      processes: { env: string; release: string | null }[];
    };
    expect(after.processes.filter((p) => p.env === 'staging').map((p) => p.release)).toEqual([result.release, result.release]);

    // A policy refusal is 422 with the workflow's message; the audit log (the file) has both.
    const refused = await app.request('/api/envs/prod/apps/web/deploy', { method: 'POST', headers, body: JSON.stringify({ image: 'acme/web:dev' }) }, bindings);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toContain('only accepts releases tagged "v*"');
    expect((await ops.auditLog()).map((e) => [e.action, e.env ?? null, e.outcome])).toEqual([
      ['login', null, 'ok'],
      ['deploy', 'staging', 'ok'],
      ['deploy', 'prod', 'failed'],
    ]);
  });
});
