// dnsPlan/dnsApply with an in-memory provider: apply replaces only the sets the plan creates or
// updates (one replace each, one progress step each), never reads or writes other names, and looks
// the credential up by the zone's secret name.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import type { DnsProvider, DnsRecord, RecordType } from '../dns/provider.ts';
import { Secret } from '../util/secret.ts';
import { dnsApply, dnsPlan } from './dns.ts';
import { createReporter } from './reporter.ts';

const fleet = () => loadFleet(join(import.meta.dirname, '../../test/fixtures/dns/slipway.yaml')).fleet!;

function memoryZone(zone: string, records: DnsRecord[]) {
  const calls: string[] = [];
  const p: DnsProvider = {
    zone,
    async lookup(names: readonly string[], types: readonly RecordType[]) {
      calls.push(`lookup ${names.join(',')} ${types.join(',')}`);
      return records.filter((r) => names.includes(r.name) && types.includes(r.type));
    },
    async replace(name, type, ttl, values) {
      calls.push(`replace ${name} ${type} ${ttl} ${values.join(',')}`);
      const i = records.findIndex((r) => r.name === name && r.type === type);
      if (i >= 0) records.splice(i, 1);
      if (values.length) records.push({ name, type, ttl, values: [...values] });
    },
  };
  return { p, calls, records };
}

describe('dns workflow', () => {
  it('applies creates and updates only, one replace per record set, and leaves other records alone', async () => {
    const zones = {
      'example.com': memoryZone('example.com', [
        { name: 'aletheia.example.com', type: 'A', ttl: 300, values: ['203.0.113.10'] },
        { name: 'aletheia-dev.example.com', type: 'A', ttl: 300, values: ['203.0.113.10'] },
        { name: 'keep.example.com', type: 'A', ttl: 600, values: ['192.0.2.99'] },
      ]),
      'cda.example.com': memoryZone('cda.example.com', []),
    };
    const asked: string[] = [];
    const getSecret = async (name: string) => {
      asked.push(name);
      return new Secret('c2VjcmV0LXNlY3JldC1zZWNyZXQ=', name);
    };
    const provider = async (z: { zone: string }, get: (n: string) => Promise<Secret | undefined>) => {
      await get(z.zone === 'example.com' ? 'dns-tsig' : 'cloudflare-token');
      return zones[z.zone as keyof typeof zones].p;
    };
    const plan = await dnsPlan(fleet(), getSecret, { env: 'dev', provider });
    expect(plan.summary).toEqual({ create: 1, update: 1, unchanged: 0 });
    const lines: string[] = [];
    const report = createReporter({ write: (t) => void lines.push(t) }, () => 0);
    const r = await dnsApply(fleet(), getSecret, report, { env: 'dev', ttl: 60, provider });
    expect(r.applied.map((c) => `${c.kind} ${c.name}`)).toEqual(['update aletheia-dev.example.com', 'create cda-dev.example.com']);
    expect(zones['example.com'].calls.filter((c) => c.startsWith('replace'))).toEqual([
      'replace aletheia-dev.example.com A 60 203.0.113.11',
      'replace cda-dev.example.com A 60 203.0.113.11',
    ]);
    expect(zones['example.com'].calls.join('\n')).not.toContain('keep.example.com');
    expect(zones['example.com'].records.find((x) => x.name === 'keep.example.com')).toEqual({
      name: 'keep.example.com',
      type: 'A',
      ttl: 600,
      values: ['192.0.2.99'],
    });
    expect(report.steps.map((s) => s.label)).toEqual(['~ aletheia-dev.example.com A ttl 60 203.0.113.11', '+ cda-dev.example.com A ttl 60 203.0.113.11']);
    expect(asked).toEqual(['dns-tsig', 'dns-tsig']);
  });

  it('refuses an unknown environment with a diagnostic', async () => {
    await expect(dnsPlan(fleet(), async () => undefined, { env: 'nope' })).rejects.toThrow(/unknown environment "nope"/);
  });
});
