// check --live's certificate findings on a FakeEngine: a certificate Caddy should have got but has
// not, one Slipway should hold but does not, one in place, and one expiring within 14 days.
// (The DNS findings run against a real BIND: test/tls-dns01.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeWorld, upAll } from '../../test/support/fake-session.ts';
import { packTar } from '../engine/tar.ts';
import { Secret } from '../util/secret.ts';
import { liveCertificateFindings } from './tls-live.ts';

const CHAIN = readFileSync(join(import.meta.dirname, '../../test/fixtures/tls/fullchain.pem'), 'utf8');
const KEY = '-----BEGIN PRIVATE KEY-----\nnot-a-real-key-but-long-enough\n-----END PRIVATE KEY-----\n';
/** The fixture certificate's notAfter (2036-11-28). */
const NOT_AFTER = Date.parse('2036-11-28T13:03:09Z');
const DAY = 86_400_000;

const fleet = (proxy: string, tls: string) => `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: ${proxy} }
environments:
  prod: { server: s1, protected: true, tls: ${tls} }
apps:
  web:
    image: acme/web:v1
    domains: { prod: a.example.com }
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;

const codes = (fs: { code: string; subject: string }[]) => fs.map((f) => `${f.code} ${f.subject}`);

describe('check --live: certificates', () => {
  it('Caddy without its certificate: missing; with it in its storage: nothing, until it expires within 14 days', async () => {
    const w = await fakeWorld(fleet('caddy', 'auto'));
    await upAll(w);
    const run = w.run('s1');
    const missing = await liveCertificateFindings(run);
    expect(codes(missing)).toEqual(['certificate-missing a.example.com']);
    expect(missing[0]!.message).toBe('Caddy has no certificate for a.example.com yet: HTTPS to it fails until it gets one');
    expect(missing[0]!.hint).toContain('docker logs acme-proxy');

    await w
      .engine('s1')
      .putArchive('acme-proxy', '/', await packTar([{ path: 'data/caddy/certificates/acme/a.example.com/a.example.com.crt', content: CHAIN }]));
    expect(await liveCertificateFindings({ ...run, now: () => NOT_AFTER - 30 * DAY })).toEqual([]);
    const soon = await liveCertificateFindings({ ...run, now: () => NOT_AFTER - 5 * DAY });
    expect(codes(soon)).toEqual(['certificate-expiring a.example.com']);
    expect(soon[0]!.message).toMatch(/^the certificate of a\.example\.com \(caddy\) expires in [45] day\(s\), on /);
  });

  it('nginx with a certificate from secrets: missing before up installs it, then nothing', async () => {
    const w = await fakeWorld(fleet('nginx', '{ cert: { secret: tls-cert }, key: { secret: tls-key } }'));
    const run = w.run('s1');
    expect(codes(await liveCertificateFindings(run))).toEqual(['certificate-missing a.example.com']);
    await run.store.setSecret('tls-cert', new Secret(CHAIN, 'tls-cert'), 'prod');
    await run.store.setSecret('tls-key', new Secret(KEY, 'tls-key'), 'prod');
    await upAll(w);
    expect(await liveCertificateFindings({ ...run, now: () => NOT_AFTER - 100 * DAY })).toEqual([]);
  });
});
