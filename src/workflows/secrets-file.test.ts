// The repository's encrypted secrets files, with generated age identities in a temporary folder:
// a value set is read back by a fresh reader (another command) holding a recipient's key; the file
// holds only ciphertext; each file is encrypted to the fleet-wide, environment and server
// recipients of its scope and no one else; a wrong or missing key, a file copied over another
// environment's or a damaged one are clear errors naming the file and what to do; rekey lets a new
// recipient in. Never a value in a message.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import { UserError } from '../diag/errors.ts';
import { Secret } from '../util/secret.ts';
import { SecretFiles } from './secrets-file.ts';

interface Key {
  id: string;
  recipient: string;
}
const newKey = async (): Promise<Key> => {
  const id = await generateX25519Identity();
  return { id, recipient: await identityToRecipient(id) };
};

let team: Key;
let prodOps: Key;
let serverKey: Key;
let stranger: Key;
beforeAll(async () => {
  [team, prodOps, serverKey, stranger] = await Promise.all([newKey(), newKey(), newKey(), newKey()]);
});

const VALUE = 'sk_live_51HxQ2eLk9Zr7Tq3Wv';

function project(recipients: { team?: string[]; prod?: string[]; s2?: string[] }) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-secrets-file-'));
  const list = (xs?: string[]) => `[${(xs ?? []).join(', ')}]`;
  const text = `project: acme
servers:
  s1: { local: true }
  s2: { local: true, secrets: { recipients: ${list(recipients.s2)} } }
environments:
  prod: { server: s2, secrets: { recipients: ${list(recipients.prod)} } }
  dev: { server: s1 }
secrets:
  recipients: ${list(recipients.team)}
`;
  writeFileSync(join(dir, 'slipway.yaml'), text);
  const load = () => {
    const r = loadFleet(join(dir, 'slipway.yaml'));
    if (!r.fleet) throw new Error(JSON.stringify(r.diagnostics));
    return r.fleet;
  };
  const files = (env: Record<string, string>) => new SecretFiles(load(), { env, cwd: dir });
  return { dir, files, rewrite: (t: (s: string) => string) => writeFileSync(join(dir, 'slipway.yaml'), t(readFileSync(join(dir, 'slipway.yaml'), 'utf8'))) };
}

const errorOf = async (p: Promise<unknown>): Promise<UserError> => {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(UserError);
  return e as UserError;
};

describe('SecretFiles', () => {
  it('round trip: set, then another reader with a recipient key gets the value; only ciphertext on disk', async () => {
    const p = project({ team: [team.recipient], prod: [prodOps.recipient], s2: [serverKey.recipient] });
    const w = p.files({ SLIPWAY_AGE_KEY: team.id });
    const r = await w.set('stripe-key', new Secret(VALUE, 'stripe-key'), 'prod');
    expect(r).toEqual({ file: 'secrets/prod.age', recipients: [team.recipient, prodOps.recipient, serverKey.recipient] });
    const onDisk = readFileSync(join(p.dir, 'secrets', 'prod.age'), 'utf8');
    expect(onDisk).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(onDisk).not.toContain(VALUE);
    expect(onDisk).not.toContain('stripe-key');

    // Each recipient reads it in a later command; the value comes out wrapped.
    for (const k of [team, prodOps, serverKey]) {
      const got = await p.files({ SLIPWAY_AGE_KEY: k.id }).get('stripe-key', 'prod');
      expect(got?.file).toBe('secrets/prod.age');
      expect(got?.secret).toBeInstanceOf(Secret);
      expect(got?.secret.reveal()).toBe(VALUE);
      expect(`${got?.secret}`).toBe('[redacted]');
    }
    expect(await p.files({ SLIPWAY_AGE_KEY: team.id }).names()).toEqual([{ env: 'prod', file: 'secrets/prod.age', names: ['stripe-key'] }]);

    // Another environment's lookup never sees it; the shared file is read by every environment.
    await w.set('sentry-dsn', new Secret('https://abc123@sentry.example/1'), null);
    const fresh = p.files({ SLIPWAY_AGE_KEY: team.id });
    expect(await fresh.get('stripe-key', 'dev')).toBeUndefined();
    expect((await fresh.get('sentry-dsn', 'dev'))?.file).toBe('secrets/_all.age');
    expect((await fresh.get('sentry-dsn', 'prod'))?.secret.reveal()).toBe('https://abc123@sentry.example/1');

    expect(await w.remove('stripe-key', 'prod')).toMatchObject({ file: 'secrets/prod.age' });
    expect(await p.files({ SLIPWAY_AGE_KEY: prodOps.id }).get('stripe-key', 'prod')).toBeUndefined();
    expect(await w.remove('stripe-key', 'prod')).toBeUndefined();
  });

  it('a key that is not a recipient: names the file, the public key tried, and what to ask for', async () => {
    const p = project({ prod: [prodOps.recipient] });
    await p.files({}).set('stripe-key', new Secret(VALUE), 'prod');
    const e = await errorOf(p.files({ SLIPWAY_AGE_KEY: stranger.id }).get('stripe-key', 'prod'));
    expect(e.message).toBe(`cannot decrypt secrets/prod.age: the age identity from SLIPWAY_AGE_KEY (${stranger.recipient}) is not one of its recipients`);
    expect(e.hint).toBe(
      `ask someone who can read it to add your public key (${stranger.recipient}) to environments.prod.secrets.recipients in slipway.yaml and run "slipway secret rekey --env prod"`,
    );
    expect(`${e.message} ${e.hint}`).not.toContain(stranger.id);
  });

  it('no identity given: says which file needs it and every way to give it; a bad key file is refused by line number only', async () => {
    const p = project({ prod: [prodOps.recipient] });
    await p.files({}).set('stripe-key', new Secret(VALUE), 'prod');
    const none = await errorOf(p.files({}).get('stripe-key', 'prod'));
    expect(none.message).toBe('reading secrets/prod.age needs your age identity, and none was given');
    expect(none.hint).toMatch(/--identity FILE, SLIPWAY_AGE_IDENTITY_FILE, SLIPWAY_AGE_KEY, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY/);

    writeFileSync(join(p.dir, 'key.txt'), `# created by age-keygen\n# public key: ${prodOps.recipient}\n${prodOps.id}\n`);
    const viaFile = new SecretFiles((p.files({}) as SecretFiles).fleet, { env: {}, cwd: p.dir, identityFile: 'key.txt' });
    expect((await viaFile.get('stripe-key', 'prod'))?.secret.reveal()).toBe(VALUE);

    writeFileSync(join(p.dir, 'bad.txt'), `${prodOps.id}\nnot-a-key-but-maybe-a-password\n`);
    const bad = await errorOf(p.files({ SLIPWAY_AGE_IDENTITY_FILE: 'bad.txt' }).get('stripe-key', 'prod'));
    expect(bad.message).toBe('SLIPWAY_AGE_IDENTITY_FILE bad.txt: line 2 is not an age identity');
    expect(bad.message + bad.hint).not.toContain('not-a-key-but-maybe-a-password');
  });

  it('recipients: an environment without any cannot get a file; the shared file needs every environment to have one', async () => {
    const p = project({ prod: [prodOps.recipient] });
    const e = await errorOf(p.files({}).set('x-token', new Secret(VALUE), 'dev'));
    expect(e.message).toBe('secrets/dev.age: environment dev has no secrets recipients to encrypt to');
    expect(e.hint).toMatch(/environments\.dev\.secrets\.recipients/);
    const all = await errorOf(p.files({}).set('x-token', new Secret(VALUE), null));
    expect(all.message).toMatch(
      /^secrets\/_all\.age: environment dev has no secrets recipients, so its deploys could not read a secret meant for every environment/,
    );
    // A name Slipway generates stays on the servers.
    await expect(p.files({}).set('pg/main/app_prod', new Secret(VALUE), 'prod')).rejects.toThrow(
      'pg/main/app_prod is generated by Slipway and kept on the servers only',
    );
  });

  it('a file copied over another environment is refused; a damaged file is named', async () => {
    const p = project({ team: [team.recipient] });
    await p.files({}).set('stripe-key', new Secret(VALUE), 'prod');
    writeFileSync(join(p.dir, 'secrets', 'dev.age'), readFileSync(join(p.dir, 'secrets', 'prod.age')));
    const e = await errorOf(p.files({ SLIPWAY_AGE_KEY: team.id }).get('stripe-key', 'dev'));
    expect(e.message).toBe('secrets/dev.age holds the secrets of environment prod, not of environment dev');
    writeFileSync(join(p.dir, 'secrets', 'dev.age'), readFileSync(join(p.dir, 'secrets', 'prod.age'), 'utf8').replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA'));
    const d = await errorOf(p.files({ SLIPWAY_AGE_KEY: team.id }).get('stripe-key', 'dev'));
    expect(d.message).toMatch(/^cannot decrypt secrets\/dev\.age: it is damaged or not an age file|^secrets\/dev\.age is not a readable age file/);
  });

  it('rekey: a recipient added to the fleet file can read once the file is re-encrypted', async () => {
    const p = project({ prod: [prodOps.recipient] });
    await p.files({}).set('stripe-key', new Secret(VALUE), 'prod');
    p.rewrite((s) => s.replace(`recipients: [${prodOps.recipient}]`, `recipients: [${prodOps.recipient}, ${stranger.recipient}]`));
    await expect(p.files({ SLIPWAY_AGE_KEY: stranger.id }).get('stripe-key', 'prod')).rejects.toThrow(/is not one of its recipients/);
    expect(await p.files({ SLIPWAY_AGE_KEY: prodOps.id }).rekey('prod')).toEqual({
      file: 'secrets/prod.age',
      recipients: [prodOps.recipient, stranger.recipient],
    });
    expect((await p.files({ SLIPWAY_AGE_KEY: stranger.id }).get('stripe-key', 'prod'))?.secret.reveal()).toBe(VALUE);
  });
});
