// The Cloudflare provider (src/dns/cloudflare.ts, Cloudflare's official npm client) against a local
// HTTP stand-in of the v4 API (test/support/cloudflare-standin.ts): the real API is out of reach
// from here, so this checks what the client sends (bearer token, paths, query, batch bodies) and
// how it reads the answers, not Cloudflare itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareProvider } from '../src/dns/cloudflare.ts';
import { UserError } from '../src/diag/errors.ts';
import { Secret } from '../src/util/secret.ts';
import { type CloudflareStandin, startCloudflareStandin } from './support/cloudflare-standin.ts';

const TOKEN = 'cf-token-0123456789abcdef-not-real';
let cf: CloudflareStandin;

beforeAll(async () => {
  cf = await startCloudflareStandin({
    zone: 'example.org',
    token: TOKEN,
    records: [
      { name: 'www.example.org', type: 'A', content: '192.0.2.10', ttl: 300, proxied: false },
      { name: 'www.example.org', type: 'A', content: '192.0.2.11', ttl: 300, proxied: false },
      { name: 'keep.example.org', type: 'A', content: '192.0.2.99', ttl: 600, proxied: false },
      { name: 'www.example.org', type: 'TXT', content: '"hello"', ttl: 120 },
    ],
  });
});
afterAll(async () => {
  await cf?.stop();
});

const provider = (token = TOKEN) => new CloudflareProvider({ zone: 'example.org', token: new Secret(token, 'cloudflare-token'), api: cf.api });

describe('CloudflareProvider', () => {
  it('finds the zone by name and reads record sets (TXT unquoted), with the bearer token on every request', async () => {
    cf.requests.length = 0;
    const got = await provider().lookup(['www.example.org', 'none.example.org'], ['A', 'TXT']);
    expect(got).toEqual([
      { name: 'www.example.org', type: 'A', ttl: 300, values: ['192.0.2.10', '192.0.2.11'] },
      { name: 'www.example.org', type: 'TXT', ttl: 120, values: ['hello'] },
    ]);
    expect(cf.requests[0]).toMatchObject({ method: 'GET', path: '/zones' });
    expect(cf.requests[0]!.query.get('name')).toBe('example.org');
    const lists = cf.requests.slice(1);
    expect(lists.map((r) => `${r.method} ${r.path} ${r.query.get('name.exact')} ${r.query.get('type')}`)).toEqual([
      `GET /zones/${cf.zoneId}/dns_records www.example.org A`,
      `GET /zones/${cf.zoneId}/dns_records www.example.org TXT`,
      `GET /zones/${cf.zoneId}/dns_records none.example.org A`,
      `GET /zones/${cf.zoneId}/dns_records none.example.org TXT`,
    ]);
    for (const r of cf.requests) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('replaces a record set with one batch: the old records deleted by id, the new ones posted', async () => {
    const p = provider();
    const oldIds = cf.records.filter((r) => r.name === 'www.example.org' && r.type === 'A').map((r) => r.id);
    cf.requests.length = 0;
    await p.replace('WWW.example.org.', 'A', 60, ['192.0.2.20']);
    const batch = cf.requests.filter((r) => r.method === 'POST');
    expect(batch).toHaveLength(1);
    expect(batch[0]!.path).toBe(`/zones/${cf.zoneId}/dns_records/batch`);
    expect(batch[0]!.body).toEqual({
      deletes: oldIds.map((id) => ({ id })),
      posts: [{ name: 'www.example.org', type: 'A', ttl: 60, content: '192.0.2.20', proxied: false }],
    });
    expect(await p.lookup(['www.example.org', 'keep.example.org'], ['A'])).toEqual([
      { name: 'www.example.org', type: 'A', ttl: 60, values: ['192.0.2.20'] },
      { name: 'keep.example.org', type: 'A', ttl: 600, values: ['192.0.2.99'] },
    ]);
    await p.replace('www.example.org', 'TXT', 60, ['a b c']);
    expect(await p.lookup(['www.example.org'], ['TXT'])).toEqual([{ name: 'www.example.org', type: 'TXT', ttl: 60, values: ['a b c'] }]);
    await p.replace('www.example.org', 'TXT', 60, []);
    expect(await p.lookup(['www.example.org'], ['TXT'])).toEqual([]);
  });

  it('says what to fix when the token is refused, without showing the token', async () => {
    const bad = 'wrong-token-abcdefghijklmnop';
    const err = await provider(bad)
      .lookup(['www.example.org'], ['A'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    const text = `${(err as UserError).message} ${(err as UserError).hint}`;
    expect(text).toContain('API token was refused (401)');
    expect(text).toContain('slipway secret set cloudflare-token');
    expect(text).not.toContain(bad);
    expect(text).not.toContain(TOKEN);
  });

  it('says so when the zone is not in the account, and when the API is unreachable', async () => {
    const other = new CloudflareProvider({ zone: 'example.net', token: new Secret(TOKEN, 'cloudflare-token'), api: cf.api });
    await expect(other.lookup(['a.example.net'], ['A'])).rejects.toThrow(/has no zone example\.net that the token in cloudflare-token can see/);
    const down = new CloudflareProvider({ zone: 'example.org', token: new Secret(TOKEN, 'cloudflare-token'), api: 'http://127.0.0.1:9/client/v4' });
    const err = (await down.lookup(['www.example.org'], ['A']).catch((e: unknown) => e)) as UserError;
    expect(err.message).toMatch(/the API is unreachable/);
    expect(`${err.message} ${err.hint}`).not.toContain(TOKEN);
  });
});
