import { describe, expect, it } from 'vitest';
import type { TlsSettings } from '../../config/fleet.ts';
import type { Route } from '../../plan/desire/desired.ts';
import { caddyCaRoots, certNeeds } from './cert-needs.ts';

const tls = (over: Partial<TlsSettings> = {}): TlsSettings => ({
  mode: 'auto',
  challenge: 'http',
  acme: { directory: 'https://acme.test/dir', caRoot: '/ca.pem' },
  renewBeforeDays: 30,
  redirect: true,
  hsts: null,
  ...over,
});
const route = (host: string, t: TlsSettings, env = 'prod'): Route => ({
  host,
  env,
  app: 'api',
  upstream: 'api:3000',
  tls: t,
  basicAuth: null,
  rateLimit: null,
  maintenance: false,
});

describe('certNeeds', () => {
  const routes = [
    route('b.example.com', tls()),
    route('a.example.com', tls({ challenge: 'dns' })),
    route('files.example.com', tls({ mode: 'files', files: { cert: 'c', key: 'k' } })),
    route('off.example.com', tls({ mode: 'off' })),
    route('int.example.com', tls({ mode: 'internal' })),
    route('api.localhost', tls()),
    route('api.test', tls({ challenge: 'dns' })),
    route('b.example.com', tls(), 'staging'),
  ];

  it('nginx: every auto host (either challenge) and every files host, once, sorted; never .localhost/.test', () => {
    expect(certNeeds(routes, 'nginx').map((n) => [n.host, n.env])).toEqual([
      ['a.example.com', 'prod'],
      ['b.example.com', 'prod'],
      ['files.example.com', 'prod'],
    ]);
  });

  it('caddy: only DNS-01 and files hosts (Caddy does HTTP-01 itself)', () => {
    expect(certNeeds(routes, 'caddy').map((n) => n.host)).toEqual(['a.example.com', 'files.example.com']);
  });

  it('caddy trusts the CA roots of the hosts it gets certificates for', () => {
    expect(caddyCaRoots(routes)).toEqual(['/ca.pem']);
    expect(caddyCaRoots([route('x.example.com', tls({ challenge: 'dns' }))])).toEqual([]);
  });
});
