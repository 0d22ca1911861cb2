// `tls:`, `dns:` and `address:` in the fleet file: defaults, per-environment overrides, and the
// diagnostics for what cannot work (each at its key, with a hint).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LETSENCRYPT, LETSENCRYPT_STAGING } from './fleet.ts';
import { loadFleet } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-tls-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

const BASE = `project: demo
servers:
  s1: { local: true, memory: 4GiB, address: 203.0.113.7 }
  s2: { local: true, memory: 4GiB, address: [198.51.100.2, "2001:DB8::2"], proxy: nginx }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`;

function load(extra: string) {
  return loadFleet(join(dir, 'slipway.yaml'), { text: BASE + extra });
}

function errors(extra: string): string[] {
  return load(extra)
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => `${d.code} ${d.pos?.line}:${d.pos?.col} ${d.path}: ${d.message}`);
}

describe('tls and dns in the fleet file', () => {
  it('defaults every environment to auto: Let’s Encrypt, HTTP-01, renew 30 days ahead, redirect, no HSTS', () => {
    const r = load(`environments:
  prod: { server: s1, domain: "{app}.example.com" }
`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.fleet!.environments[0]!.tls).toEqual({
      mode: 'auto',
      challenge: 'http',
      acme: { directory: LETSENCRYPT },
      renewBeforeDays: 30,
      redirect: true,
      hsts: null,
    });
    expect(r.fleet!.dns).toEqual([]);
    expect(r.fleet!.servers.map((s) => s.addresses)).toEqual([['203.0.113.7'], ['198.51.100.2', '2001:db8::2']]);
  });

  it('applies the fleet-wide tls: defaults, which an environment overrides key by key', () => {
    const r = load(`tls:
  acme: { directory: letsencrypt-staging, email: ops@example.com, ca_root: ./ca.pem }
  challenge: dns
  renew_before: 2w
  redirect: false
  hsts: true
environments:
  prod: { server: s1, domain: "{app}.example.com" }
  staging: { server: s2, domain: "{app}-staging.example.com", tls: { challenge: http, hsts: { max_age: 1d, include_subdomains: true }, acme: { email: qa@example.com } } }
  dev: { server: s2, domain: "{app}-dev.example.com", tls: "off" }
  qual: { server: s2, domain: "{app}-qual.example.com", tls: { cert: { secret: qual-cert }, key: { secret: qual-key } } }
dns:
  Example.COM.:
    provider: rfc2136
    server: "[2001:db8::53]:5353"
    key: { name: Slipway., secret: { secret: tsig } }
  eu.example.com:
    provider: cloudflare
    token: { secret: cf }
    api: http://127.0.0.1:9/client/v4
    ttl: 60
`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const [prod, staging, dev, qual] = r.fleet!.environments.map((e) => e.tls);
    const acme = { directory: LETSENCRYPT_STAGING, email: 'ops@example.com', caRoot: join(dir, 'ca.pem') };
    expect(prod).toEqual({
      mode: 'auto',
      challenge: 'dns',
      acme,
      renewBeforeDays: 14,
      redirect: false,
      hsts: { maxAgeS: 31536000, includeSubdomains: false, preload: false },
    });
    expect(staging).toEqual({
      mode: 'auto',
      challenge: 'http',
      acme: { ...acme, email: 'qa@example.com' },
      renewBeforeDays: 14,
      redirect: false,
      hsts: { maxAgeS: 86400, includeSubdomains: true, preload: false },
    });
    expect(dev!.mode).toBe('off');
    expect(qual).toMatchObject({ mode: 'files', files: { cert: 'qual-cert', key: 'qual-key' } });
    // Longest zone first: the zone that holds a host is its longest suffix.
    expect(r.fleet!.dns.map((z) => [z.zone, z.provider, z.ttl])).toEqual([
      ['eu.example.com', { kind: 'cloudflare', token: 'cf', api: 'http://127.0.0.1:9/client/v4' }, 60],
      ['example.com', { kind: 'rfc2136', host: '2001:db8::53', port: 5353, keyName: 'slipway', algorithm: 'hmac-sha256', secret: 'tsig' }, 300],
    ]);
  });

  it('reports what cannot work, each at its key', () => {
    expect(
      errors(`tls:
  acme: { directory: "http://insecure.example/dir", ca_root: ./missing.pem }
  renew_before: soon
environments:
  prod: { server: s1, tls: { cert: { secret: c } } }
  staging: { server: s1, tls: { mode: auto, key: { secret: k } } }
  dev: { server: s1, tls: strict }
`),
    ).toEqual([
      'bad-value 11:22 tls/acme/directory: expected letsencrypt, letsencrypt-staging or the https:// URL of an ACME directory',
      'bad-value 12:17 tls/renew_before: expected a duration such as 30d, 2w or 720h',
      'bad-type 16:27 environments/dev/tls: expected auto, off, internal, or a map such as { mode: auto, challenge: dns } or { cert: { secret: NAME }, key: { secret: NAME } }',
    ]);
    expect(
      errors(`tls:
  acme: { ca_root: ./missing.pem }
environments:
  prod: { server: s1, tls: { cert: { secret: c } } }
  staging: { server: s1, tls: { mode: auto, key: { secret: k } } }
`),
    ).toEqual([
      `tls-ca-root-missing 11:20 tls/acme/ca_root: no CA certificate at ${join(dir, 'missing.pem')}`,
      'tls-files-incomplete 13:28 environments/prod/tls: environment "prod" takes its certificate from secrets but names only the certificate',
      'tls-files-unused 14:31 environments/staging/tls: environment "staging" names a certificate from secrets but its tls mode is auto',
    ]);
  });

  it('refuses an address that is not an IP, a bad zone name and an unknown provider', () => {
    const text = `environments:
  prod: { server: s3 }
dns:
  "bad zone!": { provider: rfc2136, server: ns1.example.com, key: { name: k, secret: { secret: s } } }
  example.net: { provider: route53, token: { secret: t } }
`;
    const r = loadFleet(join(dir, 'slipway.yaml'), {
      text: BASE.replace('apps:', 'servers2:').replace('servers2:', `  s3: { local: true, address: vps.example.com }\napps:`) + text,
    });
    const errs = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.path}: ${d.message}`);
    expect(errs).toContainEqual('bad-value dns/example.net/provider: expected provider: rfc2136 or provider: cloudflare');
    const r2 = loadFleet(join(dir, 'slipway.yaml'), {
      text: `${BASE.replace('apps:', '  s3: { local: true, address: vps.example.com }\napps:')}environments:\n  prod: { server: s3 }\ndns:\n  "bad zone!": { provider: rfc2136, server: ns1.example.com, key: { name: k, secret: { secret: s } } }\n`,
    });
    expect(r2.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.path}: ${d.message}`)).toEqual([
      'bad-address servers/s3/address: "vps.example.com" is not an IPv4 or IPv6 address',
      'bad-zone dns/bad zone!: "bad zone!" is not a DNS zone name',
    ]);
  });
});
