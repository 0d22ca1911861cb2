// The RFC 2136 provider against a real BIND 9 (test/support/bind.ts) with a TSIG key made by
// tsig-keygen: record sets replaced in one signed UPDATE each (the reply's TSIG checked), the
// result read back with the real dig and with lookup; a wrong secret, an unknown key, a key the
// zone does not allow and a skewed clock are refused with messages that say what to fix and never
// show the secret; records the provider was not asked about stay as they were.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DnsZone } from '../src/config/fleet.ts';
import { UserError } from '../src/diag/errors.ts';
import { dnsProvider, zoneFor } from '../src/dns/provider.ts';
import { Rfc2136Provider } from '../src/dns/rfc2136.ts';
import { Secret } from '../src/util/secret.ts';
import { type Bind, startBind } from './support/bind.ts';

let bind: Bind;

beforeAll(async () => {
  bind = await startBind({ zone: 'example.com', records: ['keep 600 IN A 192.0.2.99', 'keep 600 IN TXT "left alone"'] });
});
afterAll(async () => {
  await bind?.stop();
});

const zoneOf = (b: Bind, over: Partial<{ keyName: string; secret: string }> = {}): DnsZone => ({
  zone: b.zone,
  provider: { kind: 'rfc2136', host: b.host, port: b.port, keyName: over.keyName ?? b.keyName, algorithm: 'hmac-sha256', secret: 'dns-tsig' },
  ttl: 300,
});
const secrets = (value: string) => async (name: string) => (name === 'dns-tsig' ? new Secret(value, name) : undefined);

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UserError);
  return `${(e as UserError).message}\n${(e as UserError).hint}`;
}

describe('RFC 2136 provider against BIND', () => {
  it('replaces A, AAAA and TXT record sets; dig and lookup see the values and TTLs', async () => {
    const p = await dnsProvider(zoneOf(bind), secrets(bind.secret));
    await p.replace('www.example.com', 'A', 300, ['192.0.2.1']);
    await p.replace('www.example.com', 'A', 60, ['192.0.2.3', '192.0.2.2']);
    await p.replace('www.example.com', 'AAAA', 120, ['2001:DB8:0:0:0:0:0:1']);
    await p.replace('www.example.com', 'TXT', 90, ['hello world', 'x'.repeat(300)]);
    expect(bind.dig('www.example.com', 'A').sort()).toEqual(['www.example.com. 60 IN A 192.0.2.2', 'www.example.com. 60 IN A 192.0.2.3']);
    expect(bind.dig('www.example.com', 'AAAA')).toEqual(['www.example.com. 120 IN AAAA 2001:db8::1']);
    expect(bind.dig('www.example.com', 'TXT')).toContain('www.example.com. 90 IN TXT "hello world"');
    expect(await p.lookup(['www.example.com', 'absent.example.com'], ['A', 'AAAA', 'TXT', 'CNAME'])).toEqual([
      { name: 'www.example.com', type: 'A', ttl: 60, values: ['192.0.2.2', '192.0.2.3'] },
      { name: 'www.example.com', type: 'AAAA', ttl: 120, values: ['2001:db8::1'] },
      { name: 'www.example.com', type: 'TXT', ttl: 90, values: ['hello world', 'x'.repeat(300)] },
    ]);
    await p.replace('alias.example.com', 'CNAME', 300, ['www.example.com']);
    expect(bind.dig('alias.example.com', 'CNAME')).toEqual(['alias.example.com. 300 IN CNAME www.example.com.']);
    // Asked for A, the server answers with the alias (and its target's A): lookup keeps only what was asked, under its own name.
    expect(await p.lookup(['alias.example.com'], ['A', 'CNAME'])).toEqual([
      { name: 'alias.example.com', type: 'CNAME', ttl: 300, values: ['www.example.com'] },
    ]);
    await p.replace('www.example.com', 'TXT', 90, []);
    expect(bind.dig('www.example.com', 'TXT')).toEqual([]);
    // Records nobody asked to change are untouched.
    expect(bind.dig('keep.example.com', 'A')).toEqual(['keep.example.com. 600 IN A 192.0.2.99']);
    expect(bind.dig('keep.example.com', 'TXT')).toEqual(['keep.example.com. 600 IN TXT "left alone"']);
  });

  it('refuses a wrong secret (BADSIG), an unknown key (BADKEY), a key the zone does not allow (REFUSED) and clock skew (BADTIME), never showing the secret', async () => {
    const wrong = Buffer.alloc(32, 9).toString('base64');
    const badSig = await refusal((await dnsProvider(zoneOf(bind), secrets(wrong))).replace('www.example.com', 'A', 60, ['192.0.2.9']));
    expect(badSig).toMatch(/did not verify \(BADSIG\)/);
    expect(badSig).toMatch(/the secret dns-tsig does not match the server's key "slipway-test"/);
    const badKey = await refusal(
      (await dnsProvider(zoneOf(bind, { keyName: 'nosuchkey' }), secrets(bind.secret))).replace('www.example.com', 'A', 60, ['192.0.2.9']),
    );
    expect(badKey).toMatch(/does not know key "nosuchkey" \(hmac-sha256\) \(BADKEY\)/);
    const refused = await refusal(
      (await dnsProvider(zoneOf(bind, { keyName: bind.otherKey.name }), secrets(bind.otherKey.secret))).replace('www.example.com', 'A', 60, ['192.0.2.9']),
    );
    expect(refused).toMatch(/REFUSED/);
    expect(refused).toMatch(/the zone does not allow updates signed with key "slipway-test-other".*allow-update/s);
    const skewed = new Rfc2136Provider({
      zone: bind.zone,
      host: bind.host,
      port: bind.port,
      key: { name: bind.keyName, algorithm: 'hmac-sha256', secret: new Secret(bind.secret, 'dns-tsig') },
      now: () => Math.floor(Date.now() / 1000) - 3600,
    });
    const badTime = await refusal(skewed.replace('www.example.com', 'A', 60, ['192.0.2.9']));
    expect(badTime).toMatch(/BADTIME.*-3600 s off/s);
    expect(badTime).toMatch(/clock skew/);
    for (const text of [badSig, badKey, refused, badTime]) {
      expect(text).not.toContain(bind.secret);
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(bind.otherKey.secret);
    }
    // None of them changed anything.
    expect(bind.dig('www.example.com', 'A').sort()).toEqual(['www.example.com. 60 IN A 192.0.2.2', 'www.example.com. 60 IN A 192.0.2.3']);
  });

  it('says when the secret is missing or not base64, and when the server is unreachable', async () => {
    expect(await refusal(dnsProvider(zoneOf(bind), async () => undefined))).toMatch(/the secret dns-tsig \(TSIG key slipway-test\) is not set/);
    const notB64 = await refusal(dnsProvider(zoneOf(bind), secrets('not base64 at all!')));
    expect(notB64).toMatch(/is not a base64 TSIG secret/);
    expect(notB64).not.toContain('not base64 at all!');
    const closed: DnsZone = { ...zoneOf(bind), provider: { ...(zoneOf(bind).provider as Extract<DnsZone['provider'], { kind: 'rfc2136' }>), port: 9 } };
    expect(await refusal((await dnsProvider(closed, secrets(bind.secret))).lookup(['www.example.com'], ['A']))).toMatch(
      /the DNS server 127\.0\.0\.1:9 for zone example\.com is unreachable \(ECONNREFUSED\)/,
    );
  });

  it('zoneFor picks the longest zone that holds the host', () => {
    const zones: DnsZone[] = [
      { ...zoneOf(bind), zone: 'example.com' },
      { ...zoneOf(bind), zone: 'dev.example.com' },
    ];
    expect(zoneFor(zones, 'api.dev.example.com')?.zone).toBe('dev.example.com');
    expect(zoneFor(zones, 'Example.COM.')?.zone).toBe('example.com');
    expect(zoneFor(zones, 'www.example.org')).toBeUndefined();
    expect(zoneFor(zones, 'badexample.com')).toBeUndefined();
  });
});

describe('RFC 2136 provider with an hmac-sha512 key', () => {
  it('BIND accepts the update and its signed reply verifies', async () => {
    const b512 = await startBind({ zone: 'example.org', algorithm: 'hmac-sha512', keyName: 'slipway-512' });
    try {
      const zone: DnsZone = {
        zone: b512.zone,
        provider: { kind: 'rfc2136', host: b512.host, port: b512.port, keyName: b512.keyName, algorithm: 'hmac-sha512', secret: 'dns-tsig' },
        ttl: 300,
      };
      const p = await dnsProvider(zone, secrets(b512.secret));
      await p.replace('www.example.org', 'A', 45, ['192.0.2.45']);
      expect(b512.dig('www.example.org', 'A')).toEqual(['www.example.org. 45 IN A 192.0.2.45']);
    } finally {
      await b512.stop();
    }
  });
});
