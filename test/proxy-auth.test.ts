// Basic auth on the real nginx and Caddy (loopback, Slipway's rendered configs, bench/lib/
// proxy-auth-rig.ts): each verifier Slipway renders lets the right password in and keeps a wrong
// one, a missing one and an unknown user out: nginx with {SSHA} (a generated password) and bcrypt
// (a human one); Caddy with bcrypt cost 4 and 8, and its unknown-user guard, which also refuses
// a request carrying a second Authorization header.
// Missing binaries make these tests fail (never skip): `bash scripts/host-packages.sh` installs them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_HOST, AUTH_USER, basicHeader, OPEN_HOST, type ProxyName, type Running, startProxy, startUpstream, status } from '../bench/lib/proxy-auth-rig.ts';
import { Secret } from '../src/util/secret.ts';
import { basicAuthHash } from '../src/workflows/basic-auth-hash.ts';

const GENERATED = 'kq3J0yT+Xc8vR1mWb5nLpZ2aK9dF6hGs'; // the shape of `openssl rand -base64 24`
const HUMAN = 'correct horse';

let upstream: Running;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  await upstream?.stop();
});

const cases: { proxy: ProxyName; password: string; scheme: RegExp }[] = [
  { proxy: 'nginx', password: GENERATED, scheme: /^\{SSHA\}/ },
  { proxy: 'nginx', password: HUMAN, scheme: /^\$2b\$08\$/ },
  { proxy: 'caddy', password: GENERATED, scheme: /^\$2b\$04\$/ },
  { proxy: 'caddy', password: HUMAN, scheme: /^\$2b\$08\$/ },
];

describe.each(cases)('$proxy with a $scheme verifier', ({ proxy, password, scheme }) => {
  let rig: Running;
  let verifier = '';
  beforeAll(async () => {
    rig = await startProxy(
      {
        proxy,
        password: new Secret(password),
        verifier: (name, pw) => (verifier = basicAuthHash(name, pw, proxy)),
      },
      upstream.port,
    );
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('renders the scheme chosen for this password', () => {
    expect(verifier).toMatch(scheme);
  });

  it('lets the right password in, and only to its host', async () => {
    expect(await status(rig.port, AUTH_HOST, basicHeader(AUTH_USER, password))).toBe(200);
    expect(await status(rig.port, OPEN_HOST)).toBe(200);
  });

  it('keeps out a wrong password, no password and an unknown user', async () => {
    expect(await status(rig.port, AUTH_HOST, basicHeader(AUTH_USER, `${password}x`))).toBe(401);
    expect(await status(rig.port, AUTH_HOST)).toBe(401);
    expect(await status(rig.port, AUTH_HOST, basicHeader('nobody', password))).toBe(401);
    expect(await status(rig.port, AUTH_HOST, basicHeader(`${AUTH_USER}x`, password))).toBe(401);
  });

  it('keeps out an unknown user sent before a known one (nginx refuses two Authorization headers outright)', async () => {
    const got = await status(rig.port, AUTH_HOST, [basicHeader('nobody', 'x'), basicHeader(AUTH_USER, password)]);
    expect(got).toBe(proxy === 'nginx' ? 400 : 401);
  });
});
