// A move's proxy overrides driven with no CLI, on FakeEngines behind Caddy (s1) and nginx (s2): the
// state file is written, the proxy gets a config that holds writes or forwards that host only and is
// reloaded, `null` removes, and a host without a route or a bad target is refused before anything
// is written.
import { describe, expect, it } from 'vitest';
import { caddyRoutes, fakeWorld, nginxServerBlock, upAll } from '../../test/support/fake-session.ts';
import { readAudit } from './audit.ts';
import { readOverrides, setOverrides } from './proxy-overrides.ts';

const CADDY = '/etc/caddy/caddy.json';
const NGINX = '/etc/nginx/nginx.conf';

describe('setOverrides', () => {
  it('Caddy: hold writes, then forward too, then remove both; each a reload, each audited', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const run = w.run('s1');
    const fake = w.engine('s1');
    expect(await readOverrides(run)).toEqual({ holdWrites: {}, forward: {} });

    expect(await setOverrides(run, ['web.localhost'], { holdWrites: { retryAfterS: 3 } })).toEqual({ reloaded: true });
    let handlers = JSON.stringify(caddyRoutes(fake.readFile('acme-proxy', CADDY)!, 'web.localhost'));
    expect(handlers).toContain('"Retry-After":["3"]');
    expect(JSON.stringify(caddyRoutes(fake.readFile('acme-proxy', CADDY)!, 'web-staging.localhost'))).not.toContain('Retry-After');

    await setOverrides(run, ['web.localhost'], { forward: { to: '10.200.0.3:80' } });
    expect(await readOverrides(run)).toEqual({ holdWrites: { 'web.localhost': { retryAfterS: 3 } }, forward: { 'web.localhost': { to: '10.200.0.3:80' } } });
    handlers = JSON.stringify(caddyRoutes(fake.readFile('acme-proxy', CADDY)!, 'web.localhost'));
    expect(handlers).toContain('"dial":"10.200.0.3:80"');
    expect(handlers).toContain('"Retry-After":["3"]');

    fake.clearTranscript();
    expect(await setOverrides(run, ['web.localhost'], { forward: { to: '10.200.0.3:80' } })).toEqual({ reloaded: false });
    expect(fake.calls('exec')).toEqual([]);

    await setOverrides(run, ['web.localhost'], { holdWrites: null, forward: null });
    expect(await readOverrides(run)).toEqual({ holdWrites: {}, forward: {} });
    handlers = JSON.stringify(caddyRoutes(fake.readFile('acme-proxy', CADDY)!, 'web.localhost'));
    expect(handlers).not.toMatch(/Retry-After|10\.200\.0\.3/);
    expect((await readAudit(run.store)).map((e) => e.detail)).toEqual([
      'web.localhost: hold writes (Retry-After 3)',
      'web.localhost: forward to 10.200.0.3:80',
      'web.localhost: forward to 10.200.0.3:80',
      'web.localhost: writes served, forward off',
    ]);
  });

  it('nginx: the forward and the held writes land in that host’s server block, checked then reloaded', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const fake = w.engine('s2');
    await setOverrides(w.run('s2'), ['web-qual.localhost'], { holdWrites: { retryAfterS: 2 }, forward: { to: 'https://10.200.0.3:443' } });
    const config = fake.readFile('acme-proxy', NGINX)!;
    const block = nginxServerBlock(config, 'web-qual.localhost');
    expect(block).toContain('proxy_pass https://slipway_forward_s_10_200_0_3_443;');
    expect(block).toContain('return 418;');
    expect(config).toContain('server 10.200.0.3:443;');
    expect(fake.calls('exec').map((a) => a[1])).toEqual([
      ['nginx', '-t', '-q'],
      ['nginx', '-s', 'reload'],
    ]);
  });

  it('refuses a host without a route here, a bad target and a bad Retry-After, before writing anything', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const run = w.run('s1');
    const fake = w.engine('s1');
    await expect(setOverrides(run, ['nope.localhost'], { forward: { to: '10.200.0.3:80' } })).rejects.toThrow('s1 has no route for nope.localhost');
    await expect(setOverrides(run, ['web.localhost'], { forward: { to: 'http://10.200.0.3' } })).rejects.toThrow(/cannot forward to/);
    await expect(setOverrides(run, ['web.localhost'], { holdWrites: { retryAfterS: -1 } })).rejects.toThrow(/Retry-After -1/);
    await expect(setOverrides(run, ['web.localhost'], { holdWrites: { retryAfterS: 2, waitAt: 'https://10.200.0.3:443' } })).rejects.toThrow(
      /held writes cannot wait at "https:\/\/10.200.0.3:443"/,
    );
    expect(fake.ops('putArchive', 'exec')).toEqual([]);
    // Removing needs no route.
    expect(await setOverrides(run, ['nope.localhost'], { forward: null })).toEqual({ reloaded: false });
  });
});
