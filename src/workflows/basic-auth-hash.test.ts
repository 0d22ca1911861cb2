// Basic-auth verifiers: the scheme follows the password's strength and the proxy, the result is
// deterministic, and each verifier checks the password (bcrypt) or has nginx's {SSHA} layout.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { Secret } from '../util/secret.ts';
import { basicAuthHash, isGeneratedStrength } from './basic-auth-hash.ts';

const STRONG = 'q3J0yT+Xc8vR1mWb5nLpZ2aK9dF6hGs4'; // the shape of `openssl rand -base64 24`
const HUMAN = 'slipway-demo';

function sshaMatches(verifier: string, password: string): boolean {
  const raw = Buffer.from(verifier.slice('{SSHA}'.length), 'base64');
  const [digest, salt] = [raw.subarray(0, 20), raw.subarray(20)];
  return salt.length > 0 && createHash('sha1').update(password).update(salt).digest().equals(digest);
}

describe('isGeneratedStrength', () => {
  it('accepts generated-looking passwords and refuses human ones', () => {
    expect(isGeneratedStrength(STRONG)).toBe(true);
    for (const weak of [
      HUMAN,
      'correct horse battery staple and more words',
      'thequickbrownfoxjumpsoverthelazydog',
      'Password1Password1Password1Password1',
      'a'.repeat(64),
      `${STRONG.slice(0, 31)}`,
      `${STRONG}\n`,
      'ab12'.repeat(16),
    ]) {
      expect(isGeneratedStrength(weak), weak).toBe(false);
    }
  });
});

describe('basicAuthHash', () => {
  it('gives a generated password a cheap verifier: {SSHA} for nginx, bcrypt cost 4 for Caddy', () => {
    const nginx = basicAuthHash('basic-auth-staging', new Secret(STRONG), 'nginx');
    expect(nginx).toMatch(/^\{SSHA\}[A-Za-z0-9+/]+=*$/);
    expect(sshaMatches(nginx, STRONG)).toBe(true);
    expect(sshaMatches(nginx, `${STRONG}x`)).toBe(false);
    const caddy = basicAuthHash('basic-auth-staging', new Secret(STRONG), 'caddy');
    expect(caddy.startsWith('$2b$04$')).toBe(true);
    expect(bcrypt.compareSync(STRONG, caddy)).toBe(true);
  });

  it('keeps bcrypt cost 8 for a human password, on both proxies', () => {
    for (const proxy of ['nginx', 'caddy'] as const) {
      const h = basicAuthHash('basic-auth-staging', new Secret(HUMAN), proxy);
      expect(h.startsWith('$2b$08$')).toBe(true);
      expect(bcrypt.compareSync(HUMAN, h)).toBe(true);
      expect(bcrypt.compareSync(`${HUMAN}!`, h)).toBe(false);
    }
  });

  it('is deterministic per (secret, password), and salted by both', () => {
    for (const [pw, proxy] of [
      [STRONG, 'nginx'],
      [STRONG, 'caddy'],
      [HUMAN, 'nginx'],
    ] as const) {
      const a = basicAuthHash('basic-auth-staging', new Secret(pw), proxy);
      expect(basicAuthHash('basic-auth-staging', new Secret(pw), proxy)).toBe(a);
      expect(basicAuthHash('basic-auth-dev', new Secret(pw), proxy)).not.toBe(a);
    }
  });
});
