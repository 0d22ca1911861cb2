// check's TLS and DNS rules on loaded fleets.
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../config/load.ts';
import { desire } from '../desire/desire.ts';
import { check } from './check.ts';

function findings(text: string): string[] {
  const r = loadFleet('/nowhere/slipway.yaml', { text });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return check(r.fleet!, desire(r.fleet!))
    .filter((f) => f.code.startsWith('tls-') || f.code.startsWith('dns-'))
    .map((f) => `${f.severity} ${f.code} ${f.subject}`);
}

const head = `project: demo
servers:
  a: { local: true, memory: 4GiB }
  b: { local: true, memory: 4GiB, proxy: nginx }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`;

describe('check: tls and dns', () => {
  it('warns on a public protected domain over plain HTTP, and on tls internal behind nginx', () => {
    expect(
      findings(`${head}environments:
  prod: { server: a, protected: true, domain: "{app}.example.com", tls: "off" }
  staging: { server: b, auth: basic, domain: "{app}-staging.example.com", tls: internal }
  dev: { server: a, auth: basic, domain: "{app}-dev.localhost", tls: "off" }
`),
    ).toEqual(['warning tls-off-protected api.example.com', 'warning tls-unsupported api-staging.example.com']);
  });

  it('refuses DNS-01 outside every managed zone, and warns when a managed zone has no address to point at', () => {
    expect(
      findings(`${head}environments:
  prod: { server: a, protected: true, domain: "{app}.example.org", tls: { challenge: dns } }
  staging: { server: b, auth: basic, domain: "{app}-staging.example.com", tls: { challenge: dns } }
dns:
  example.com: { provider: cloudflare, token: { secret: cf } }
`),
    ).toEqual(['error tls-dns-no-zone api.example.org', 'warning dns-no-address b']);
  });

  it('is quiet about a well-formed fleet', () => {
    expect(
      findings(`${head.replace('proxy: nginx }', 'proxy: nginx, address: 203.0.113.2 }')}environments:
  prod: { server: b, protected: true, domain: "{app}.example.com", tls: { challenge: dns, hsts: true } }
dns:
  example.com: { provider: cloudflare, token: { secret: cf } }
`),
    ).toEqual([]);
  });
});
