// The DNS plan from a fleet file (test/fixtures/dns/slipway.yaml, loaded with loadFleet): the
// records each environment's domains need, the diff against what the zones answer now, and its
// text rendering (goldens in __golden__/).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fleet } from '../../config/fleet.ts';
import { loadFleet } from '../../config/load.ts';
import { diffDns } from './dns-diff.ts';
import { canonicalAddress, desiredDns, type ObservedRecordSet } from './dns-records.ts';
import { zoneFor } from '../../config/dns-zones.ts';
import { renderDnsPlan } from './dns-view.ts';

function fixture(): Fleet {
  const r = loadFleet(join(import.meta.dirname, '../../../test/fixtures/dns/slipway.yaml'));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.fleet!;
}

// What the zones answer now: prod in place (A right, no AAAA yet), dev still on vps1's address
// before the move, staging at the right address with a longer TTL, and a record the fleet does
// not name.
const observed = new Map<string, ObservedRecordSet[]>([
  [
    'example.com',
    [
      { name: 'aletheia.example.com', type: 'A', ttl: 300, values: ['203.0.113.10'] },
      { name: 'aletheia-dev.example.com', type: 'A', ttl: 300, values: ['203.0.113.10'] },
      { name: 'aletheia-staging.example.com', type: 'A', ttl: 3600, values: ['203.0.113.11'] },
      { name: 'keep.example.com', type: 'A', ttl: 600, values: ['192.0.2.99'] },
    ],
  ],
  ['cda.example.com', [{ name: 'www.cda.example.com', type: 'A', ttl: 600, values: ['203.0.113.10'] }]],
]);

describe('desiredDns', () => {
  it('gives each domain the addresses of its server, by zone, and lists what it cannot manage', () => {
    const d = desiredDns(fixture());
    expect(d.zones.map((z) => z.zone)).toEqual(['cda.example.com', 'example.com']);
    const ex = d.zones.find((z) => z.zone === 'example.com')!;
    expect(ex.records.find((r) => r.name === 'aletheia.example.com' && r.type === 'AAAA')).toMatchObject({
      ttl: 300,
      values: ['2001:db8::10'],
      envs: ['prod'],
    });
    expect(ex.records.filter((r) => r.name === 'aletheia-dev.example.com')).toEqual([
      { name: 'aletheia-dev.example.com', type: 'A', ttl: 300, values: ['203.0.113.11'], envs: ['dev'], apps: ['aletheia'], server: 'vps2' },
    ]);
    // www.cda.example.com is in the longer zone; cda-dev.example.com is not under cda.example.com.
    expect(d.zones[0]!.records.map((r) => `${r.name} ${r.type} ${r.ttl}`)).toEqual(['www.cda.example.com A 600', 'www.cda.example.com AAAA 600']);
    expect(d.notManaged.map((n) => `${n.host} ${n.reason}`)).toEqual([
      'shop.example.net no-zone',
      'aletheia-qa.example.com no-address',
      'cda-qa.example.com no-address',
    ]);
    expect(d.skipped).toEqual(['aletheia.localhost']);
  });

  it('uses the --ttl override for every record, and keeps to one environment with env', () => {
    const d = desiredDns(fixture(), { ttl: 60, env: 'dev' });
    expect(d.zones.flatMap((z) => z.records.map((r) => `${r.name} ${r.type} ${r.ttl} ${r.values}`))).toEqual([
      'aletheia-dev.example.com A 60 203.0.113.11',
      'cda-dev.example.com A 60 203.0.113.11',
    ]);
    expect(d.notManaged).toEqual([]);
  });

  it('does not manage a host two servers route', () => {
    const f = fixture();
    const qa = f.apps.find((a) => a.name === 'aletheia')!.perEnv['staging']!;
    qa.domains = ['aletheia.example.com'];
    const d = desiredDns(f);
    expect(d.zones.flatMap((z) => z.records).filter((r) => r.name === 'aletheia.example.com')).toEqual([]);
    expect(d.notManaged.filter((n) => n.reason === 'conflict').map((n) => `${n.host} ${n.env}`)).toEqual([
      'aletheia.example.com staging',
      'aletheia.example.com prod',
    ]);
  });
});

describe('diffDns', () => {
  it('creates missing sets, updates changed values or TTLs, leaves the rest, never names other records', async () => {
    const plan = diffDns(desiredDns(fixture()), observed);
    expect(plan.summary).toEqual({ create: 7, update: 2, unchanged: 2 });
    const byName = (n: string) => plan.zones.flatMap((z) => z.changes).filter((c) => c.name === n);
    expect(byName('aletheia-dev.example.com')[0]).toMatchObject({ kind: 'update', values: ['203.0.113.11'], current: { ttl: 300, values: ['203.0.113.10'] } });
    expect(byName('aletheia-staging.example.com')[0]).toMatchObject({ kind: 'update', ttl: 300, current: { ttl: 3600 } });
    expect(byName('keep.example.com')).toEqual([]);
    await expect(renderDnsPlan(plan)).toMatchFileSnapshot('./__golden__/dns-plan.txt');
    await expect(`${JSON.stringify(plan, null, 2)}\n`).toMatchFileSnapshot('./__golden__/dns-plan.json');
  });

  it('shows TTL changes when the TTL is lowered ahead of a move', async () => {
    const plan = diffDns(desiredDns(fixture(), { ttl: 60 }), observed);
    expect(plan.summary).toEqual({ create: 7, update: 4, unchanged: 0 });
    await expect(renderDnsPlan(plan)).toMatchFileSnapshot('./__golden__/dns-plan-ttl60.txt');
  });

  it('says so when nothing changes', () => {
    const d = desiredDns(fixture(), { env: 'prod' });
    const now = new Map(d.zones.map((z) => [z.zone, z.records.map((r) => ({ name: r.name, type: r.type, ttl: r.ttl, values: r.values }))]));
    expect(renderDnsPlan(diffDns(d, now))).toMatch(/No DNS changes\. 6 record sets up to date\.\n$/);
  });
});

describe('a name that is a CNAME', () => {
  it('is not managed (a server would drop the A/AAAA beside it), and says how to fix it', () => {
    const seen = new Map<string, ObservedRecordSet[]>([['example.com', [{ name: 'vsm.example.com', type: 'CNAME', ttl: 300, values: ['lb.example.net'] }]]]);
    const plan = diffDns(desiredDns(fixture(), { env: 'prod' }), seen);
    expect(plan.zones.flatMap((z) => z.changes).map((c) => c.name)).not.toContain('vsm.example.com');
    expect(plan.notManaged.find((n) => n.reason === 'cname')).toEqual({
      host: 'vsm.example.com',
      env: 'prod',
      app: 'helios',
      reason: 'cname',
      detail: 'is a CNAME to lb.example.net in zone example.com: remove the CNAME to let Slipway manage its A/AAAA records',
    });
  });
});

describe('helpers', () => {
  it('canonical addresses and the longest zone', () => {
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toEqual({ type: 'AAAA', value: '2001:db8::1' });
    expect(canonicalAddress('192.0.2.1')).toEqual({ type: 'A', value: '192.0.2.1' });
    expect(zoneFor(fixture().dns, 'a.cda.example.com')?.zone).toBe('cda.example.com');
    expect(zoneFor(fixture().dns, 'xcda.example.com')?.zone).toBe('example.com');
  });
});
