// Secret: never shown by anything that prints or serialises; redaction takes whole tokens only, so
// ordinary words survive; secrets too short to redact safely are refused by name.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { UserError } from '../diag/errors.ts';
import { MIN_SECRET_LENGTH, Secret, redactSecrets, requireRedactable } from './secret.ts';

const PW = 'Zq3vX9kLm2Pw8RtY5nB7cD1e'; // 24 characters, like a generated password

describe('Secret', () => {
  it('prints, serialises and inspects as a placeholder', () => {
    const s = new Secret(PW, 'pg/main/api_prod');
    const shown = [String(s), `${s}`, JSON.stringify({ s, list: [s] }), inspect({ s }), inspect(s)].join('\n');
    expect(shown).not.toContain(PW);
    expect(shown).toContain('[redacted]');
    expect(inspect(s)).toBe('Secret(pg/main/api_prod)');
    expect(s.reveal()).toBe(PW);
  });

  it('join builds a secret from parts without showing them', () => {
    const url = Secret.join('pg/main/api_prod/url', ['postgres://api_prod:', new Secret(PW), '@db:5432/api_prod']);
    expect(url.reveal()).toBe(`postgres://api_prod:${PW}@db:5432/api_prod`);
    expect(`${url}`).toBe('[redacted]');
    expect(url.name).toBe('pg/main/api_prod/url');
    const quoted = new Secret("it's-a-long-one", 'q').map((v) => `'${v.replace(/'/g, "''")}'`);
    expect([quoted.reveal(), `${quoted}`, quoted.name]).toEqual(["'it''s-a-long-one'", '[redacted]', 'q']);
  });
});

describe('redactSecrets', () => {
  it('leaves ordinary words of a message intact', () => {
    // Too short to match at all, or not a whole token of the message.
    const secrets = ['myproj', 'web', 'prod', 'prod-2026', 'yproj/web'].map((v) => new Secret(v));
    expect(redactSecrets('No such image: myproj/web:prod-20260101', [...secrets, new Secret(PW)])).toBe('No such image: myproj/web:prod-20260101');
  });

  it('redacts a real password inside a message, wherever it stands as a token', () => {
    const pw = new Secret(PW);
    const url = Secret.join('url', ['postgres://u:', pw, '@db/app']);
    expect(redactSecrets(`No such image: myproj/web:prod-20260101; auth failed for ${PW}`, [pw])).toBe(
      'No such image: myproj/web:prod-20260101; auth failed for [redacted]',
    );
    expect(redactSecrets(`invalid env: DATABASE_URL=postgres://u:${PW}@db/app`, [pw, url])).toBe('invalid env: DATABASE_URL=[redacted]');
    expect(redactSecrets(`PGPASSWORD=${PW} "${PW}" ${PW}`, [pw])).toBe('PGPASSWORD=[redacted] "[redacted]" [redacted]');
  });

  it('matches whole tokens only: a value glued to letters or digits is another word', () => {
    const s = new Secret('staging1');
    expect(redactSecrets('staging12 xstaging1 staging1 staging1.', [s])).toBe('staging12 xstaging1 [redacted] [redacted].');
  });

  it('never matches values shorter than the minimum', () => {
    expect(redactSecrets('a prod deploy', [new Secret('prod')])).toBe('a prod deploy');
  });
});

describe('requireRedactable', () => {
  it('refuses short and empty secrets by name, never showing the value', () => {
    const short = new Secret('pw-dev', 'basic-auth-dev');
    let err: unknown;
    try {
      requireRedactable([short, new Secret('', 'api-key'), new Secret(PW, 'fine')]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const e = err as UserError;
    expect(e.message).toBe(`secrets basic-auth-dev, api-key are shorter than ${MIN_SECRET_LENGTH} characters: too short to keep out of logs and errors safely`);
    expect(e.hint).toContain('slipway secret set basic-auth-dev');
    expect(`${e.message} ${e.hint}`).not.toContain('pw-dev');
    expect(() => requireRedactable([new Secret(PW, 'fine')])).not.toThrow();
  });
});

describe('where secrets are unwrapped', () => {
  it('only at the hand-over: engine env and stdin, the store on the server, the basic-auth hash, the S3 client, the encrypted secrets file, the DNS credentials, the control plane token and signature checks and its notifiers', () => {
    const src = join(import.meta.dirname, '..');
    const sites = readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => readFileSync(join(src, f), 'utf8').includes('.reveal()'))
      .sort();
    expect(sites).toEqual([
      'dns/credential-handover.ts',
      'engine/secret-handover.ts',
      'secrets/secrets-doc.ts',
      // The control plane: the SMTP password into a one-send transport, the webhook URL into fetch,
      // the /metrics token and the git webhook secrets into constant-time comparisons and HMACs.
      'server/alerts/email-notifier.ts',
      'server/alerts/webhook-notifier.ts',
      'server/metrics/metrics-handler.ts',
      'server/routes/metrics-routes.ts',
      // A repository's deploy key into a 0600 file that ssh reads, removed after the fetch.
      'server/webhooks/deploy-key-handover.ts',
      'server/webhooks/signature.ts',
      'util/secret.ts',
      'workflows/backup/destinations/s3.ts',
      'workflows/basic-auth-hash.ts',
      'workflows/state-store.ts',
    ]);
  });
});
