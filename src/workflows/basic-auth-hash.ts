// bcrypt hashes for basic-auth passwords, deterministic per (secret, password) so re-rendering
// the proxy config does not change it (and so does not reload the proxy for nothing). Cost 8
// keeps nginx, which checks the hash on every request, fast. The password is unwrapped here only
// to be hashed; the hash is all that reaches the proxy.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Secret } from '../util/secret.ts';

const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function basicAuthHash(secretName: string, secret: Secret): string {
  const password = secret.reveal();
  const digest = createHash('sha256').update(`slipway-basic-auth\0${secretName}\0${password}`).digest();
  let salt = '';
  for (let i = 0; i < 22; i++) salt += ALPHABET[digest[i]! % 64];
  // bcrypt's last salt character only carries 2 bits; keep it canonical.
  salt = salt.slice(0, 21) + '.Oeu'[digest[21]! % 4];
  return bcrypt.hashSync(password, `$2b$08$${salt}`);
}
