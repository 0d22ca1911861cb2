// Slipway's ACME client (src/workflows/tls/acme-order.ts, acme-client) against Debian's pebble:
// a DNS-01 order answered through the DNS-01 solver, with pebble's challtestsrv standing in for the
// zone's DNS provider (the RFC 2136 provider against BIND is the DNS port's own test). The
// directory's HTTPS is trusted only through the CA root handed to the order (no
// NODE_EXTRA_CA_CERTS). Fails (never skips) when pebble cannot start.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccountKey, orderCertificate } from '../src/workflows/tls/acme-order.ts';
import { certInfo } from '../src/workflows/tls/cert-info.ts';
import { dnsSolver, type TxtWriter } from '../src/workflows/tls/challenge-solvers.ts';
import { startPebble, type Pebble } from './support/pebble.ts';

let pebble: Pebble;
beforeAll(async () => {
  pebble = await startPebble();
}, 60_000);
afterAll(async () => {
  await pebble?.stop();
});

/** challtestsrv as a zone: it keeps one value per name, which is all one DNS-01 order needs. */
function challtestsrvZone(p: Pebble, log: string[]): TxtWriter {
  const zone = new Map<string, string[]>();
  return {
    async lookup(names) {
      return names.filter((n) => zone.has(n)).map((name) => ({ name, type: 'TXT', values: zone.get(name)! }));
    },
    async replace(name, _type, _ttl, values) {
      log.push(`${name} [${values.length}]`);
      if (values.length) {
        zone.set(name, [...values]);
        await p.setTxt(name, values.at(-1)!);
      } else {
        zone.delete(name);
        await p.clearTxt(name);
      }
    },
  };
}

describe('acme-order against pebble', () => {
  it('gets a certificate by DNS-01 for a name whose A record points nowhere near this machine, trusting the CA root it is given', async () => {
    const log: string[] = [];
    await pebble.addA('moved.example.com', '192.0.2.99');
    const got = await orderCertificate({
      directory: pebble.directory,
      caRootPem: pebble.listenerCaPem,
      accountKey: await newAccountKey(),
      email: 'ops@example.com',
      domains: ['moved.example.com'],
      solver: dnsSolver(challtestsrvZone(pebble, log)),
    });
    const info = certInfo(got.fullchain);
    expect(info.domains).toEqual(['moved.example.com']);
    expect(info.issuer).toMatch(/Pebble/);
    // Placed, then cleaned up.
    expect(log).toEqual(['_acme-challenge.moved.example.com [1]', '_acme-challenge.moved.example.com [0]']);
    // The key is wrapped, and matches the certificate.
    expect(`${got.key}`).toBe('[redacted]');
    expect(JSON.stringify(got)).not.toMatch(/PRIVATE KEY/);
    const leaf = new X509Certificate(got.fullchain);
    const { createPrivateKey } = await import('node:crypto');
    const { engineFile } = await import('../src/engine/secret-handover.ts');
    expect(leaf.checkPrivateKey(createPrivateKey(engineFile(got.key)))).toBe(true);
  }, 60_000);

  it('without the CA root, the directory is not trusted: the order fails at once, saying so', async () => {
    await expect(
      orderCertificate({
        directory: pebble.directory,
        accountKey: await newAccountKey(),
        domains: ['untrusted.example.com'],
        solver: dnsSolver(challtestsrvZone(pebble, [])),
      }),
    ).rejects.toThrow(/is served with a certificate this machine does not trust \(/);
  }, 60_000);

  it('a pebble started with certValiditySeconds issues certificates that short-lived (for renewal tests)', async () => {
    const short = await startPebble({ certValiditySeconds: 3600 });
    try {
      const got = await orderCertificate({
        directory: short.directory,
        caRootPem: short.listenerCaPem,
        accountKey: await newAccountKey(),
        domains: ['short.example.com'],
        solver: dnsSolver(challtestsrvZone(short, [])),
      });
      const info = certInfo(got.fullchain);
      expect((Date.parse(info.notAfter) - Date.parse(info.notBefore)) / 1000).toBeLessThanOrEqual(3600);
      expect((Date.parse(info.notAfter) - Date.parse(info.notBefore)) / 1000).toBeGreaterThan(3000);
    } finally {
      await short.stop();
    }
  }, 60_000);
});
