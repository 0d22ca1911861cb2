// Secrets set/list/rm driven with no CLI, on two FakeEngines: values land in the servers' state
// only, scoped to an environment's servers with `env`; a basic-auth secret reloads the proxy of the
// servers whose routes use it (its hash, never the value, in the config); and no value appears in
// anything a caller could print: results, listings, progress output, engine transcripts, audit.
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../diag/errors.ts';
import { Secret } from '../util/secret.ts';
import { caddyRoutes, type FakeWorld, fakeWorld, upAll } from '../../test/support/fake-session.ts';
import { readAudit } from './audit.ts';
import { listSecrets, removeSecret, setSecret } from './secrets.ts';

const CADDY = '/etc/caddy/caddy.json';
const VALUE = 'correct-horse-battery-staple';

/** The basic-auth accounts (user and bcrypt hash) of the Caddy route for `host`. */
function caddyAccounts(config: string, host: string): { username: string; hash: string }[] {
  const text = JSON.stringify(caddyRoutes(config, host));
  const accounts = [...text.matchAll(/\{"username":"([^"]*)","password":"([^"]*)"\}/g)].map((m) => ({ username: m[1]!, hash: m[2]! }));
  if (accounts.length === 0) throw new Error(`no basic auth on ${host}`);
  return accounts;
}

/** Everything a caller or an observer could see, as one string. */
async function everythingVisible(w: FakeWorld, ...results: unknown[]): Promise<string> {
  const audits = await Promise.all([...w.session.runs.values()].map((r) => readAudit(r.store)));
  const configs = [...w.engines.values()].map((e) => [e.readFile('acme-proxy', CADDY), e.readFile('acme-proxy', '/etc/nginx/nginx.conf')]);
  return JSON.stringify({ results, stderr: w.stderr, transcripts: [...w.engines.values()].map((e) => e.transcript), audits, configs });
}

describe('setSecret', () => {
  it('writes the value on every server, reloads only the proxies whose routes use it, and never shows the value', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const s1 = w.engine('s1');
    const s2 = w.engine('s2');
    // Unset: the route is locked (an account whose hash no password matches).
    const locked = caddyAccounts(s1.readFile('acme-proxy', CADDY)!, 'web-staging.localhost');

    const r = await setSecret(w.session, { name: 'basic-auth-staging', value: new Secret(VALUE) });

    expect(r).toEqual({ store: 'server', name: 'basic-auth-staging', env: null, servers: ['s1', 's2'], proxyReloaded: ['s1'], proxyErrors: [] });
    for (const s of ['s1', 's2']) expect((await w.run(s).store.getSecret('basic-auth-staging'))?.reveal()).toBe(VALUE);
    // s1's staging route now lets "team" in with the value (a bcrypt hash of it in the config); s2
    // (nginx, qual only) was not reloaded.
    const accounts = caddyAccounts(s1.readFile('acme-proxy', CADDY)!, 'web-staging.localhost');
    expect(accounts.map((a) => a.username)).toEqual(['team']);
    expect(accounts[0]!.hash).not.toBe(locked[0]!.hash);
    expect(bcrypt.compareSync(VALUE, accounts[0]!.hash)).toBe(true);
    expect(s1.calls('exec').map((a) => (a[1] as string[]).slice(0, 2))).toEqual([['caddy', 'reload']]);
    expect(s2.calls('exec')).toEqual([]);
    expect(await everythingVisible(w, r)).not.toContain(VALUE);
  });

  it('with env: only on the servers of that environment, scoped to it', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const r = await setSecret(w.session, { name: 'api-key', value: new Secret(VALUE), env: 'qual' });
    expect(r).toEqual({ store: 'server', name: 'api-key', env: 'qual', servers: ['s2'], proxyReloaded: [], proxyErrors: [] });
    expect(w.engine('s1').ops('putArchive')).toEqual([]);
    expect((await w.run('s2').store.getSecret('api-key', 'qual'))?.reveal()).toBe(VALUE);
    expect(await w.run('s2').store.getSecret('api-key')).toBeUndefined();
    expect(await everythingVisible(w, r)).not.toContain(VALUE);
  });

  it('nginx: a basic-auth secret rewrites the htpasswd of its environment, checked (nginx -t) then reloaded', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const s2 = w.engine('s2');
    const htpasswd = () => s2.readFile('acme-proxy', '/etc/slipway/htpasswd/qual')!;
    const user = () => htpasswd().trim().split(':');
    expect(bcrypt.compareSync(VALUE, user()[1]!)).toBe(false);
    const r = await setSecret(w.session, { name: 'basic-auth-qual', value: new Secret(VALUE) });
    expect(r.proxyReloaded).toEqual(['s2']);
    expect(user()[0]).toBe('team');
    expect(bcrypt.compareSync(VALUE, user()[1]!)).toBe(true);
    expect(s2.calls('exec').map((a) => a[1])).toEqual([
      ['nginx', '-t', '-q'],
      ['nginx', '-s', 'reload'],
    ]);
    expect(w.engine('s1').calls('exec')).toEqual([]);
    expect(await everythingVisible(w, r)).not.toContain(VALUE);
  });

  it('a proxy that rejects the reload: the secret is still stored, the failure is a warning and in the result', async () => {
    const w = await fakeWorld();
    await upAll(w);
    w.engine('s1').onExec(['caddy', 'reload'], { exitCode: 1, stderr: 'adapting config: bad' });
    const r = await setSecret(w.session, { name: 'basic-auth-staging', value: new Secret(VALUE) });
    expect(r.proxyReloaded).toEqual([]);
    expect(r.proxyErrors).toEqual([{ server: 's1', error: expect.stringMatching(/the proxy rejected the new config/) }]);
    expect(w.stderr.join('')).toMatch(/warning: proxy not reloaded: s1: the proxy rejected/);
    expect((await w.run('s1').store.getSecret('basic-auth-staging'))?.reveal()).toBe(VALUE);
  });

  it('refuses a bad name, an empty value and an unknown environment, writing nothing', async () => {
    const w = await fakeWorld();
    await upAll(w);
    await expect(setSecret(w.session, { name: 'bad name!', value: new Secret(VALUE) })).rejects.toThrow('invalid secret name "bad name!"');
    await expect(setSecret(w.session, { name: 'x', value: new Secret('') })).rejects.toBeInstanceOf(UserError);
    await expect(setSecret(w.session, { name: 'x', value: new Secret(VALUE), env: 'prd' })).rejects.toThrow('unknown environment "prd"');
    for (const e of w.engines.values()) expect(e.ops('putArchive')).toEqual([]);
  });
});

describe('listSecrets', () => {
  it('lists names per server with their scope, never values', async () => {
    const w = await fakeWorld();
    await upAll(w);
    await setSecret(w.session, { name: 'django-secret-key', value: new Secret(VALUE) });
    await setSecret(w.session, { name: 'pg/api/url', value: new Secret(`${VALUE}-2`), env: 'staging' });
    const rows = await listSecrets(w.session);
    expect(rows).toEqual([
      { store: 'server', server: 's1', name: 'django-secret-key', env: null },
      { store: 'server', server: 's1', name: 'pg/api/url', env: 'staging' },
      { store: 'server', server: 's2', name: 'django-secret-key', env: null },
    ]);
    expect(await everythingVisible(w, rows)).not.toContain(VALUE);
  });
});

describe('removeSecret', () => {
  it('removes it where it was set, reloads the proxy so the old password stops working, and says where', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const s1 = w.engine('s1');
    const locked = caddyAccounts(s1.readFile('acme-proxy', CADDY)!, 'web-staging.localhost');
    await setSecret(w.session, { name: 'basic-auth-staging', value: new Secret(VALUE) });
    s1.clearTranscript();

    const r = await removeSecret(w.session, { name: 'basic-auth-staging' });

    expect(r).toEqual({ store: 'server', name: 'basic-auth-staging', env: null, removedFrom: ['s1', 's2'], proxyReloaded: ['s1'], proxyErrors: [] });
    expect(await w.run('s1').store.getSecret('basic-auth-staging')).toBeUndefined();
    expect(await listSecrets(w.session)).toEqual([]);
    expect(caddyAccounts(s1.readFile('acme-proxy', CADDY)!, 'web-staging.localhost')).toEqual(locked);
    expect(s1.calls('exec').map((a) => (a[1] as string[]).slice(0, 2))).toEqual([['caddy', 'reload']]);
    expect(w.stderr.join('')).toMatch(/basic-auth secret basic-auth-staging is not set/);

    const again = await removeSecret(w.session, { name: 'basic-auth-staging' });
    expect(again.removedFrom).toEqual([]);
    expect(await everythingVisible(w, r, again)).not.toContain(VALUE);
  });

  it('with env: removes only that environment’s value; the server-wide one stays', async () => {
    const w = await fakeWorld();
    await upAll(w);
    await setSecret(w.session, { name: 'api-key', value: new Secret(VALUE) });
    await setSecret(w.session, { name: 'api-key', value: new Secret(`${VALUE}-staging`), env: 'staging' });
    const r = await removeSecret(w.session, { name: 'api-key', env: 'staging' });
    expect(r).toMatchObject({ env: 'staging', removedFrom: ['s1'], proxyReloaded: [] });
    expect((await w.run('s1').store.getSecret('api-key', 'staging'))?.reveal()).toBe(VALUE);
    expect((await listSecrets(w.session)).map((x) => `${x.store === 'server' ? x.server : x.file}:${x.name}:${x.env}`)).toEqual([
      's1:api-key:null',
      's2:api-key:null',
    ]);
  });
});
