// Deploy and the proxy with the repository's encrypted secrets, on FakeEngines: a container gets the
// file's value (still a Secret at the engine port) and the file wins over the server's value, with
// a warning; a basic-auth password read for its own environment — from the file, or set on the
// server with --env (the bug: only the server-wide value was read) — unlocks that environment and
// no other; a file the operator cannot read stops the command instead of locking anyone out.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { caddyRoutes, deployWith, type FakeWorld, fakeWorld, upAll } from '../../test/support/fake-session.ts';
import { Secret } from '../util/secret.ts';
import { setSecret } from './secrets.ts';
import { SecretFiles } from './secrets-file.ts';

const CADDY = '/etc/caddy/caddy.json';
const FROM_FILE = 'file-value-7Hq2mZ9xLp4Rt8Wv';
const ON_SERVER = 'server-value-3Kd8sN1bQy6Jf0';
const STAGING_PW = 'staging-pass-9Vb4Xe2Rk7Tz';
const PROD_PW = 'prod-pass-5Mc1Wq8Ln3Hy6';

const fleet = (recipient: string, auth: string) => `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  staging: { server: s1, auth: ${auth}, domain: "{app}-staging.localhost", tls: "off" }
  prod: { server: s1, auth: ${auth}, domain: "{app}.localhost", tls: "off" }
secrets:
  recipients: [${recipient}]
apps:
  web:
    image: acme/web:v1
    env: { API_KEY: { secret: api-key } }
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;

/** A fake world whose runs read secrets files in a temporary folder with the operator's key (`key`: undefined for none). */
async function world(opts: { key?: 'own' | 'none'; auth?: string } = {}) {
  const id = await generateX25519Identity();
  const w = await fakeWorld(fleet(await identityToRecipient(id), opts.auth ?? 'basic'), { images: ['caddy:2', 'acme/web:v1'] });
  const dir = mkdtempSync(join(tmpdir(), 'slipway-secrets-deploy-'));
  const files = () => new SecretFiles({ ...w.fleet, file: join(dir, 'slipway.yaml') }, { env: opts.key === 'none' ? {} : { SLIPWAY_AGE_KEY: id }, cwd: dir });
  const writer = new SecretFiles({ ...w.fleet, file: join(dir, 'slipway.yaml') }, { env: { SLIPWAY_AGE_KEY: id }, cwd: dir });
  for (const run of w.session.runs.values()) run.secretFiles = files();
  return { w, writer };
}

function caddyAccount(w: FakeWorld, host: string): string {
  const text = JSON.stringify(caddyRoutes(w.engine('s1').readFile('acme-proxy', CADDY)!, host));
  return /"username":"team","password":"([^"]*)"/.exec(text)![1]!;
}

function visible(w: FakeWorld, ...more: unknown[]): string {
  return JSON.stringify({ more, stderr: w.stderr, transcript: w.engine('s1').transcript, config: w.engine('s1').readFile('acme-proxy', CADDY) });
}

describe('deploy with the encrypted secrets file', () => {
  it("the container gets the file's value, wrapped; the file wins over the server's, which is reported", async () => {
    const { w, writer } = await world();
    await writer.set('api-key', new Secret(FROM_FILE), 'prod');
    await w.run('s1').store.setSecret('api-key', new Secret(ON_SERVER));
    await upAll(w);
    const r = await deployWith(w, 'web', 'prod');
    const web = [...w.engine('s1').containers.values()].find((c) => c.spec.labels['slipway.role'] === 'app' && c.spec.labels['slipway.env'] === 'prod')!;
    expect(web.spec.env.API_KEY).toBeInstanceOf(Secret);
    expect((web.spec.env.API_KEY as Secret).reveal()).toBe(FROM_FILE);
    expect(w.stderr.join('')).toContain(
      "warning: secret api-key (prod) is set both in secrets/prod.age and on s1: the file's value is used (remove the other with: slipway secret rm api-key --env prod --store server)",
    );
    // staging has no value in its file: the server's server-wide value.
    await deployWith(w, 'web', 'staging');
    const staging = [...w.engine('s1').containers.values()].find((c) => c.spec.labels['slipway.role'] === 'app' && c.spec.labels['slipway.env'] === 'staging')!;
    expect((staging.spec.env.API_KEY as Secret).reveal()).toBe(ON_SERVER);
    const shown = visible(w, r);
    for (const v of [FROM_FILE, ON_SERVER]) expect(shown).not.toContain(v);
  });

  it('a missing secret names every place it was looked for', async () => {
    const { w } = await world();
    await upAll(w);
    await expect(deployWith(w, 'web', 'prod')).rejects.toThrow(
      'acme-web-prod-web-0: 1 secret(s) not set (looked in secrets/prod.age, secrets/_all.age or server s1): api-key (for API_KEY)',
    );
  });

  it('a file the operator cannot read stops the deploy, naming what to give', async () => {
    const { w, writer } = await world({ key: 'none' });
    await writer.set('api-key', new Secret(FROM_FILE), 'prod');
    await w.run('s1').store.setSecret('api-key', new Secret(ON_SERVER));
    await upAll(w).catch(() => undefined);
    await expect(deployWith(w, 'web', 'prod')).rejects.toThrow('reading secrets/prod.age needs your age identity, and none was given');
    expect([...w.engine('s1').containers.values()].filter((c) => c.spec.labels['slipway.role'] === 'app')).toEqual([]);
  });
});

describe('basic auth per environment', () => {
  it('secret set basic-auth-staging --env staging unlocks staging (it used to stay locked), and not prod', async () => {
    const { w } = await world();
    await upAll(w);
    const lockedProd = caddyAccount(w, 'web.localhost');
    const r = await setSecret(w.session, { name: 'basic-auth-staging', value: new Secret(STAGING_PW), env: 'staging' });
    expect(r.proxyReloaded).toEqual(['s1']);
    expect(bcrypt.compareSync(STAGING_PW, caddyAccount(w, 'web-staging.localhost'))).toBe(true);
    expect(caddyAccount(w, 'web.localhost')).toBe(lockedProd);
    expect(visible(w, r)).not.toContain(STAGING_PW);
  });

  it("one secret name with a value per environment: each route checks its own environment's password, before the server-wide one", async () => {
    const { w, writer } = await world({ auth: '{ basic: { users: { team: { secret: team-password } } } }' });
    await w.run('s1').store.setSecret('team-password', new Secret(ON_SERVER));
    await writer.set('team-password', new Secret(STAGING_PW), 'staging');
    await w.run('s1').store.setSecret('team-password', new Secret(PROD_PW), 'prod');
    await upAll(w);
    const staging = caddyAccount(w, 'web-staging.localhost');
    const prod = caddyAccount(w, 'web.localhost');
    expect(bcrypt.compareSync(STAGING_PW, staging)).toBe(true);
    expect(bcrypt.compareSync(PROD_PW, prod)).toBe(true);
    expect(bcrypt.compareSync(ON_SERVER, staging) || bcrypt.compareSync(ON_SERVER, prod) || bcrypt.compareSync(STAGING_PW, prod)).toBe(false);
    for (const v of [STAGING_PW, PROD_PW, ON_SERVER]) expect(visible(w)).not.toContain(v);
  });
});
