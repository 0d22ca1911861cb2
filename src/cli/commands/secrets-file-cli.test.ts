// `slipway secret set|list|rm|import|rekey` with the repository's encrypted file, in process against
// FakeEngines: the file is the default store once the fleet file declares recipients (no server is
// contacted), --store server still reaches the servers, list shows both stores' names, import reads
// SOPS files (generated here, and the real sops fixtures) and refuses what cannot be a secret by name.
// Nothing printed ever holds a value.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { fakeWorld } from '../../../test/support/fake-session.ts';
import { encodeSops } from '../../../test/support/sops-encode.ts';
import { main } from '../main.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'sops');
const VALUE = 'whsec_5Fq9Lm2Xz7Rb3Tn8';
const IMPORTED = { DATABASE_PASSWORD: 'db-pass-0aK3mX8qL2', STRIPE: { secret_key: 'sk_live_9Qw2Er5Ty8Ui' } };

async function setup() {
  const id = await generateX25519Identity();
  const recipient = await identityToRecipient(id);
  const text = `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  staging: { server: s1, domain: "{app}-staging.localhost", tls: "off" }
  prod: { server: s1, domain: "{app}.localhost", tls: "off", secrets: { recipients: [${recipient}] } }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;
  const w = await fakeWorld(text, { images: ['caddy:2', 'acme/web:v1'] });
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-secrets-cli-'));
  writeFileSync(join(cwd, 'slipway.yaml'), text);
  const printed: string[] = [];
  const cli = async (args: string[], o: { input?: string; key?: boolean } = {}) => {
    let stdout = '';
    let stderr = '';
    const code = await main(args, {
      stdout: { write: (t) => void (stdout += t) },
      stderr: { write: (t) => void (stderr += t) },
      cwd,
      env: o.key === false ? {} : { SLIPWAY_AGE_KEY: id },
      color: false,
      now: () => w.clock.t,
      connector: async (server) => ({
        server,
        engine: w.engines.get(server.name)!,
        dialer: { dial: async () => Promise.reject(new Error('no dial')) },
        close: async () => {},
      }),
      stdin: async () => o.input ?? '',
    });
    printed.push(stdout, stderr);
    return { code, stdout, stderr };
  };
  return { w, cwd, cli, printed, recipient, id };
}

describe('slipway secret with the encrypted file', () => {
  it('set and rm go to secrets/ENV.age by default, without contacting a server; list shows both stores', async () => {
    const { w, cwd, cli, printed } = await setup();
    expect(await cli(['secret', 'set', 'webhook-secret', '--env', 'prod'], { input: `${VALUE}\n` })).toEqual({
      code: 0,
      stdout: 'secret webhook-secret (prod) set in secrets/prod.age (encrypted to 1 recipient); commit it, it takes effect at the next deploy or up\n',
      stderr: '',
    });
    expect(readFileSync(join(cwd, 'secrets', 'prod.age'), 'utf8')).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----/);
    expect(w.engine('s1').transcript).toEqual([]);
    // No recipients for staging: a clear error, nothing written.
    const staging = await cli(['secret', 'set', 'webhook-secret', '--env', 'staging'], { input: VALUE });
    expect(staging.code).toBe(1);
    expect(staging.stderr).toMatch(/^error: secrets\/staging\.age: environment staging has no secrets recipients to encrypt to\n {2}hint: .*--store server/);
    expect(existsSync(join(cwd, 'secrets', 'staging.age'))).toBe(false);

    const server = await cli(['secret', 'set', 'api-token', '--env', 'staging', '--store', 'server', '--json'], { input: VALUE });
    expect(JSON.parse(server.stdout)).toEqual({ ok: true, store: 'server', name: 'api-token', env: 'staging', servers: ['s1'] });

    expect((await cli(['secret', 'list'])).stdout).toBe(
      [
        'STORE   WHERE             SECRET          ENV',
        'file    secrets/prod.age  webhook-secret  prod',
        'server  s1                api-token       staging',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await cli(['secret', 'list', '--json', '--store', 'file'])).stdout)).toEqual([
      { store: 'file', file: 'secrets/prod.age', name: 'webhook-secret', env: 'prod' },
    ]);
    // Without the key the file cannot be listed; the servers' names still can.
    const noKey = await cli(['secret', 'list'], { key: false });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^error: reading secrets\/prod\.age needs your age identity, and none was given/);
    expect((await cli(['secret', 'list', '--store', 'server'], { key: false })).stdout).toContain('api-token');

    expect((await cli(['secret', 'rm', 'webhook-secret', '--env', 'prod'])).stdout).toBe(
      'secret webhook-secret (prod) removed from secrets/prod.age; commit it\n',
    );
    expect((await cli(['secret', 'rm', 'webhook-secret', '--env', 'prod'])).stdout).toBe('secret webhook-secret was not set\n');
    expect(printed.join('')).not.toContain(VALUE);
  });

  it('import: a SOPS file into the file store, nested keys joined with "/", MAC verified; rekey', async () => {
    const { cwd, cli, printed, recipient } = await setup();
    writeFileSync(join(cwd, 'prod.enc.yaml'), await encodeSops(IMPORTED, { recipients: [recipient], format: 'yaml' }));
    const r = await cli(['secret', 'import', 'prod.enc.yaml', '--env', 'prod']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      'imported 2 secrets from prod.enc.yaml (yaml, MAC verified) into secrets/prod.age (prod): DATABASE_PASSWORD, STRIPE/secret_key\ncommit it; it takes effect at the next deploy or up\n',
    );
    expect(JSON.parse((await cli(['secret', 'list', '--json', '--store', 'file'])).stdout).map((x: { name: string }) => x.name)).toEqual([
      'DATABASE_PASSWORD',
      'STRIPE/secret_key',
    ]);
    expect(JSON.parse((await cli(['secret', 'rekey', '--json'])).stdout)).toEqual({
      ok: true,
      files: [{ file: 'secrets/prod.age', env: 'prod', recipients: 1 }],
    });
    expect(printed.join('')).not.toMatch(/db-pass-0aK3mX8qL2|sk_live_9Qw2Er5Ty8Ui/);
  });

  it('import of the files sops wrote: values too short to be secrets are refused by name, then skipped on purpose', async () => {
    const { cwd, cli } = await setup();
    copyFileSync(join(FIXTURES, 'secret.enc.env'), join(cwd, 'prod.env'));
    const key = readFileSync(join(FIXTURES, 'age-test-key.txt'), 'utf8');
    const refused = await cli(['secret', 'import', 'prod.env', '--env', 'prod', '--store', 'server'], { key: false, input: '' });
    expect(refused.stderr).toMatch(/needs your age identity/);
    writeFileSync(join(cwd, 'sops-key.txt'), key);
    const short = await cli(['secret', 'import', 'prod.env', '--env', 'prod', '--store', 'server', '--identity', 'sops-key.txt']);
    expect(short.code).toBe(1);
    expect(short.stderr).toBe(
      'error: prod.env: 1 value cannot be imported: another_secret (shorter than 8 characters)\n  hint: fix them in the file, or leave them out with --skip another_secret\n',
    );
    const ok = await cli([
      'secret',
      'import',
      'prod.env',
      '--env',
      'prod',
      '--store',
      'server',
      '--identity',
      'sops-key.txt',
      '--skip',
      'another_secret',
      '--json',
    ]);
    expect(JSON.parse(ok.stdout)).toEqual({
      ok: true,
      macVerified: true,
      from: 'prod.env',
      format: 'dotenv',
      names: ['secret'],
      skipped: [{ name: 'another_secret', reason: 'shorter than 8 characters' }],
      env: 'prod',
      store: 'server',
      servers: ['s1'],
    });
    expect(ok.stdout).not.toContain('this is a secret');
  });
});
