import { describe, expect, it } from 'vitest';
import { challengeName, dnsSolver, type TxtWriter } from './challenge-solvers.ts';

/** A zone in memory that records the calls it gets. */
function memoryZone(): TxtWriter & { records: Map<string, string[]>; calls: string[] } {
  const records = new Map<string, string[]>();
  const calls: string[] = [];
  return {
    records,
    calls,
    async lookup(names) {
      return names.filter((n) => records.has(n)).map((name) => ({ name, type: 'TXT', ttl: 60, values: records.get(name)! }));
    },
    async replace(name, type, ttl, values) {
      calls.push(`${type} ${name} ${ttl} [${values.join(',')}]`);
      if (values.length) records.set(name, [...values]);
      else records.delete(name);
    },
  };
}

describe('dnsSolver', () => {
  it('adds the value beside the ones there, and removes only its own', async () => {
    const zone = memoryZone();
    zone.records.set('_acme-challenge.a.example.com', ['other']);
    const s = dnsSolver(zone);
    await s.place('a.example.com', 't1', 'v1');
    expect(zone.records.get('_acme-challenge.a.example.com')).toEqual(['other', 'v1']);
    await s.remove('a.example.com', 't1', 'v1');
    expect(zone.records.get('_acme-challenge.a.example.com')).toEqual(['other']);
    expect(zone.calls).toEqual(['TXT _acme-challenge.a.example.com 60 [other,v1]', 'TXT _acme-challenge.a.example.com 60 [other]']);
  });

  it('deletes the record set once its last value goes', async () => {
    const zone = memoryZone();
    const s = dnsSolver(zone);
    await s.place('b.example.com', 't', 'v');
    await s.remove('b.example.com', 't', 'v');
    expect(zone.records.size).toBe(0);
  });

  it('names the challenge record of a wildcard after its base name', () => {
    expect(challengeName('*.example.com')).toBe('_acme-challenge.example.com');
  });
});
