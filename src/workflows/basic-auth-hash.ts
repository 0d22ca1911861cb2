// Basic-auth password verifiers for the proxy, chosen by the password's strength and the proxy
// (docs/decisions.md, "Basic auth that does not starve the proxy"):
// - a generated-strength password (see isGeneratedStrength) gets a verifier that is cheap to check
//   on every request: `{SSHA}` (salted SHA-1) for nginx, which has no verification cache; bcrypt at
//   the minimum cost 4 for Caddy, whose `hash_cache` remembers a verified password anyway. Guessing
//   such a password from its verifier is hopeless at any hash speed.
// - any other password keeps bcrypt at cost 8, whose slowness is what protects a human password if
//   the verifier leaks; nginx then pays that cost on every request.
// Deterministic per (secret name, password), so re-rendering the proxy config does not change it
// (and does not reload the proxy for nothing). The password is unwrapped here only to be hashed;
// the verifier is all that reaches the proxy.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Secret } from '../util/secret.ts';

export type BasicAuthProxy = 'nginx' | 'caddy';

/** Shortest password that can count as generated (a 24-byte random value in base64 is 32 characters). */
export const GENERATED_MIN_LENGTH = 32;

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * True when the password looks machine-generated: at least 32 characters, no white space or control
 * characters, at least three of lower case, upper case, digits and other characters, and at least 16
 * distinct characters (e.g. `openssl rand -base64 24`). Passphrases and words fail the classes
 * test; a false "no" only costs speed (bcrypt), never protection.
 */
export function isGeneratedStrength(password: string): boolean {
  if (password.length < GENERATED_MIN_LENGTH || /[\s\p{Cc}]/u.test(password)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((c) => c.test(password)).length;
  return classes >= 3 && new Set(password).size >= 16;
}

/** 32 bytes that depend only on (secret name, password): the salt source. */
function saltBytes(secretName: string, password: string): Buffer {
  return createHash('sha256').update(`slipway-basic-auth\0${secretName}\0${password}`).digest();
}

function bcryptHash(secretName: string, password: string, cost: 4 | 8): string {
  const digest = saltBytes(secretName, password);
  let salt = '';
  for (let i = 0; i < 21; i++) salt += BCRYPT_ALPHABET[digest[i]! % 64];
  // bcrypt's last salt character only carries 2 bits; keep it canonical.
  salt += '.Oeu'[digest[21]! % 4];
  return bcrypt.hashSync(password, `$2b$0${cost}$${salt}`);
}

/** nginx's `{SSHA}`: base64(SHA-1(password + salt) + salt), with an 8-byte salt. */
function sshaHash(secretName: string, password: string): string {
  const salt = saltBytes(secretName, password).subarray(0, 8);
  const sha = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([sha, salt]).toString('base64')}`;
}

/** The verifier `proxy` checks the password of basic-auth secret `secretName` against. */
export function basicAuthHash(secretName: string, secret: Secret, proxy: BasicAuthProxy): string {
  const password = secret.reveal();
  if (!isGeneratedStrength(password)) return bcryptHash(secretName, password, 8);
  return proxy === 'nginx' ? sshaHash(secretName, password) : bcryptHash(secretName, password, 4);
}
