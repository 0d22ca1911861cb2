// On the real engine, through the real CLI: secrets kept in the repository, age-encrypted. `secret
// set` and `secret import` (a SOPS + age file) write secrets/prod.age (ciphertext only); `up` and `deploy`, given the operator's identity,
// decrypt it in memory: the container sees the API key and the imported DSN, and Caddy lets the team in with the
// basic-auth password from the same file. No value appears in anything the CLI printed (plan,
// plan --json, up, deploy --json, status, audit), in the plan JSON, or anywhere on the server's
// state volume; without the identity, deploy stops with a clear error.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipway, slipwayOk, transcript } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';
import { encodeSops } from './support/sops-encode.ts';

const API_KEY = 'sk_live_4Rt9Wq2Zx7Lm3Np8Vb';
const TEAM_PASSWORD = 'team-pass-6Hd1Ks5Yc0Jf';
const SENTRY_DSN = 'https://f00dcafe1234@sentry.example/42';

let p: TestProject;
let port: number;
let key: string;
const docker = new Docker();
const withKey = () => ({ SLIPWAY_AGE_IDENTITY_FILE: join(p.dir, 'age.key') });

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['caddy', 'nginx']);
  p = makeProject('secf');
  port = await freePort();
  key = await generateX25519Identity();
  writeFileSync(join(p.dir, 'age.key'), `# created: test\n# public key: ${await identityToRecipient(key)}\n${key}\n`, { mode: 0o600 });
  p.writeFleet(`project: ${p.project}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${port} }
environments:
  prod: { server: local, deploy: any, auth: basic, domain: "{app}.localhost", tls: "off" }
secrets:
  recipients: [${await identityToRecipient(key)}]
apps:
  web:
    image: nginx:1.27
    env: { API_KEY: { secret: api-key }, SENTRY_DSN: { secret: sentry-dsn } }
    processes:
      web: { port: 80, health: /, memory: 64MiB }
`);
}, 600_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

describe('secrets in the repository, encrypted to an age recipient', () => {
  it('secret set writes ciphertext beside the fleet file (adding to it needs the key), and no server is touched', async () => {
    const set = await slipwayOk(['secret', 'set', 'api-key', '--env', 'prod'], { cwd: p.dir, input: `${API_KEY}\n` });
    expect(set.stdout).toBe('secret api-key (prod) set in secrets/prod.age (encrypted to 1 recipient); commit it, it takes effect at the next deploy or up\n');
    // Adding to an existing file decrypts it first: that needs a recipient's key.
    const locked = await slipway(['secret', 'set', 'basic-auth-prod', '--env', 'prod'], { cwd: p.dir, input: TEAM_PASSWORD });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/^error: reading secrets\/prod\.age needs your age identity/);
    await slipwayOk(['secret', 'set', 'basic-auth-prod', '--env', 'prod'], { cwd: p.dir, input: TEAM_PASSWORD, env: withKey() });
    // A SOPS file the team already had (sops --encrypt --age): imported into the same file.
    writeFileSync(
      join(p.dir, 'prod.enc.yaml'),
      await encodeSops({ 'sentry-dsn': SENTRY_DSN }, { recipients: [await identityToRecipient(key)], format: 'yaml' }),
    );
    const imported = await slipwayOk(['secret', 'import', 'prod.enc.yaml', '--env', 'prod'], { cwd: p.dir, env: withKey() });
    expect(imported.stdout).toBe(
      'imported 1 secret from prod.enc.yaml (yaml, MAC verified) into secrets/prod.age (prod): sentry-dsn\ncommit it; it takes effect at the next deploy or up\n',
    );
    const file = readFileSync(join(p.dir, 'secrets', 'prod.age'), 'utf8');
    expect(file).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+-----END AGE ENCRYPTED FILE-----\n$/);
    for (const v of [API_KEY, TEAM_PASSWORD, SENTRY_DSN, 'api-key']) expect(file).not.toContain(v);
    expect((await docker.listContainers({ all: true, filters: { label: [`slipway.project=${p.project}`] } })).length).toBe(0);
  });

  it('without the identity, deploy refuses and says what to give', async () => {
    const r = await slipway(['deploy', 'web', 'prod', '--drain', '0'], {
      cwd: p.dir,
      env: { SLIPWAY_AGE_KEY: '', SLIPWAY_AGE_IDENTITY_FILE: '', SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: reading secrets/prod.age needs your age identity, and none was given');
    expect(r.stderr).toContain('hint: give it with --identity FILE, SLIPWAY_AGE_IDENTITY_FILE, SLIPWAY_AGE_KEY');
  });

  it('up and deploy decrypt in memory: the container sees the key, the proxy checks the password; no value anywhere', async () => {
    const planText = await slipwayOk(['plan'], { cwd: p.dir, env: withKey() });
    const planJson = await slipwayOk(['plan', '--json'], { cwd: p.dir, env: withKey() });
    JSON.parse(planJson.stdout);
    await slipwayOk(['up'], { cwd: p.dir, env: withKey() });
    const deploy = await slipwayOk(['deploy', 'web', 'prod', '--drain', '0', '--json', '--identity', 'age.key'], { cwd: p.dir });
    expect(JSON.parse(deploy.stdout)).toMatchObject({ ok: true });
    await slipwayOk(['status'], { cwd: p.dir, env: withKey() });
    await slipwayOk(['status', '--json'], { cwd: p.dir, env: withKey() });
    const audit = await slipwayOk(['audit', '--json'], { cwd: p.dir, env: withKey() });
    await slipwayOk(['secret', 'list'], { cwd: p.dir, env: withKey() });

    // The running container has the value in its environment.
    const [web] = await docker.listContainers({ filters: { label: [`slipway.project=${p.project}`, 'slipway.env=prod', 'slipway.role=app'] } });
    expect(web).toBeDefined();
    expect(execFileSync('docker', ['exec', web!.Id, 'printenv', 'API_KEY'], { encoding: 'utf8' }).trim()).toBe(API_KEY);
    expect(execFileSync('docker', ['exec', web!.Id, 'printenv', 'SENTRY_DSN'], { encoding: 'utf8' }).trim()).toBe(SENTRY_DSN);

    // The proxy lets the team in with the file's password, and nobody else.
    expect((await get(port, 'web.localhost', '/', `team:${TEAM_PASSWORD}`)).status).toBe(200);
    expect((await get(port, 'web.localhost', '/')).status).toBe(401);
    expect((await get(port, 'web.localhost', '/', 'team:wrong-password-123')).status).toBe(401);

    // Nothing the CLI printed in this file, no plan, no audit entry holds a value.
    const printed = transcript.join('\n');
    expect(printed).toContain('$ slipway deploy web prod');
    for (const v of [API_KEY, TEAM_PASSWORD, SENTRY_DSN]) {
      expect(printed.includes(v), 'a value in the CLI output').toBe(false);
      expect(planText.stdout + planJson.stdout + audit.stdout).not.toContain(v);
    }
    // Nor the server's state volume (history, audit, proxy config, secrets): the values were never sent there.
    const state = await docker.getContainer(`${p.project}-slipway-state`).getArchive({ path: '/state' });
    const chunks: Buffer[] = [];
    for await (const c of state as AsyncIterable<Buffer>) chunks.push(c);
    const tar = Buffer.concat(chunks);
    expect(tar.length).toBeGreaterThan(1024);
    for (const v of [API_KEY, TEAM_PASSWORD, SENTRY_DSN]) expect(tar.includes(v), 'a value on the state volume').toBe(false);
  });
});
