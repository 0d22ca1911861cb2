// Maintenance on/off driven with no CLI, on FakeEngines behind Caddy (s1) and nginx (s2): the flag
// is written to the server's state, the proxy gets a config that answers 503 for that app and env
// only and is reloaded gracefully, and each change is audited. An app env without a route is
// refused before anything is written.
import { describe, expect, it } from 'vitest';
import { caddyRoutes, fakeWorld, nginxServerBlock, upAll } from '../../test/support/fake-session.ts';
import { readAudit } from './audit.ts';
import { setMaintenance } from './maintenance.ts';

const CADDY = '/etc/caddy/caddy.json';
const NGINX = '/etc/nginx/nginx.conf';

const serves503 = (config: string, host: string) => caddyRoutes(config, host).some((r) => JSON.stringify(r.handle ?? []).includes('"status_code":503'));

describe('setMaintenance (Caddy)', () => {
  it('on: writes the flag, serves 503 for that app and env only, reloads the proxy, audits', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const run = w.run('s1');
    const fake = w.engine('s1');
    expect(serves503(fake.readFile('acme-proxy', CADDY)!, 'web.localhost')).toBe(false);

    const r = await setMaintenance(run, { app: 'web', env: 'prod', on: true });

    expect(r).toEqual({ app: 'web', env: 'prod', server: 's1', maintenance: true, reloaded: true, inMaintenance: ['web/prod'] });
    expect(await run.store.readJson('proxy/maintenance.json')).toEqual(['web/prod']);
    const config = fake.readFile('acme-proxy', CADDY)!;
    expect(serves503(config, 'web.localhost')).toBe(true);
    expect(serves503(config, 'web-staging.localhost')).toBe(false);
    // A graceful reload of a validated candidate, then the main file replaced.
    expect(fake.calls('exec')).toEqual([['acme-proxy', ['caddy', 'reload', '--config', '/etc/caddy/caddy.next.json'], {}]]);
    // No app container was touched.
    expect(fake.ops('createContainer', 'startContainer', 'stopContainer', 'removeContainer')).toEqual([]);
    expect((await readAudit(run.store)).map((e) => [e.action, e.app, e.env, e.outcome])).toEqual([['maintenance on', 'web', 'prod', 'ok']]);
  });

  it('off: clears the flag and the 503, reloads again; a second off changes nothing on the proxy', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const run = w.run('s1');
    const fake = w.engine('s1');
    await setMaintenance(run, { app: 'web', env: 'prod', on: true });
    await setMaintenance(run, { app: 'web', env: 'staging', on: true });
    fake.clearTranscript();

    const r = await setMaintenance(run, { app: 'web', env: 'prod', on: false });
    expect(r).toMatchObject({ maintenance: false, reloaded: true, inMaintenance: ['web/staging'] });
    const config = fake.readFile('acme-proxy', CADDY)!;
    expect(serves503(config, 'web.localhost')).toBe(false);
    expect(serves503(config, 'web-staging.localhost')).toBe(true);
    expect(fake.calls('exec').map((a) => (a[1] as string[])[0])).toEqual(['caddy']);

    fake.clearTranscript();
    const again = await setMaintenance(run, { app: 'web', env: 'prod', on: false });
    expect(again.reloaded).toBe(false);
    expect(fake.calls('exec')).toEqual([]);
    expect((await readAudit(run.store)).map((e) => e.action)).toEqual(['maintenance on', 'maintenance on', 'maintenance off', 'maintenance off']);
  });

  it('refuses an app env without a route, before writing anything', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const fake = w.engine('s1');
    await expect(setMaintenance(w.run('s1'), { app: 'web', env: 'qual', on: true })).rejects.toThrow('web has no route in qual');
    expect(fake.ops('putArchive', 'exec')).toEqual([]);
  });
});

describe('setMaintenance (nginx)', () => {
  it('on: nginx config returns 503 for that host, checked (nginx -t) then reloaded', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const fake = w.engine('s2');
    await setMaintenance(w.run('s2'), { app: 'web', env: 'qual', on: true });
    expect(nginxServerBlock(fake.readFile('acme-proxy', NGINX)!, 'web-qual.localhost')).toContain('return 503');
    expect(fake.calls('exec').map((a) => a[1])).toEqual([
      ['nginx', '-t', '-q'],
      ['nginx', '-s', 'reload'],
    ]);
    await setMaintenance(w.run('s2'), { app: 'web', env: 'qual', on: false });
    expect(nginxServerBlock(fake.readFile('acme-proxy', NGINX)!, 'web-qual.localhost')).not.toContain('return 503');
  });

  it('a config the proxy rejects leaves the previous one serving and fails without an audit entry', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const fake = w.engine('s2');
    const before = fake.readFile('acme-proxy', NGINX);
    fake.onExec(['nginx', '-t'], { exitCode: 1, stderr: 'nginx: [emerg] unexpected "}"' });
    await expect(setMaintenance(w.run('s2'), { app: 'web', env: 'qual', on: true })).rejects.toThrow(/the proxy rejected the new config/);
    expect(fake.readFile('acme-proxy', NGINX)).toBe(before);
    expect(fake.calls('exec').map((a) => a[1])).toEqual([['nginx', '-t', '-q']]);
    expect(await readAudit(w.run('s2').store)).toEqual([]);
  });
});
