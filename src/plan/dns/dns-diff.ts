// The DNS plan: each desired record set against what the zone's server answers now. A set is
// created when missing, updated when its values or TTL differ, and otherwise unchanged. Nothing
// else is ever touched: record sets the fleet does not name (other names, other types) are not
// read, so they cannot be deleted. Pure.
import type { DesiredDns, DesiredRecordSet, NotManaged, ObservedRecordSet } from './dns-records.ts';

export type DnsChangeKind = 'create' | 'update' | 'unchanged';

export interface DnsChange {
  kind: DnsChangeKind;
  name: string;
  type: 'A' | 'AAAA';
  ttl: number;
  values: string[];
  envs: string[];
  apps: string[];
  /** What the server has now (update, unchanged). */
  current?: { ttl: number; values: string[] };
}

export interface DnsZonePlan {
  zone: string;
  provider: string;
  changes: DnsChange[];
}

export interface DnsPlan {
  zones: DnsZonePlan[];
  notManaged: NotManaged[];
  skipped: string[];
  summary: { create: number; update: number; unchanged: number };
}

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

function change(d: DesiredRecordSet, observed: readonly ObservedRecordSet[]): DnsChange {
  const base = { name: d.name, type: d.type, ttl: d.ttl, values: d.values, envs: d.envs, apps: d.apps };
  const o = observed.find((r) => r.name === d.name && r.type === d.type);
  if (!o || o.values.length === 0) return { kind: 'create', ...base };
  const current = { ttl: o.ttl, values: [...o.values].sort() };
  return { kind: o.ttl === d.ttl && same(current.values, d.values) ? 'unchanged' : 'update', ...base, current };
}

/**
 * `observed`: per zone, the record sets lookup returned for the desired names and types (and
 * CNAME). A name that is a CNAME in the zone cannot have A/AAAA records beside it (a server drops
 * such an add): it is listed as not managed instead of being planned again and again.
 */
export function diffDns(desired: DesiredDns, observed: ReadonlyMap<string, readonly ObservedRecordSet[]>): DnsPlan {
  const notManaged: NotManaged[] = [...desired.notManaged];
  const zones = desired.zones.map((z) => {
    const seen = observed.get(z.zone) ?? [];
    const cnames = new Map(seen.filter((r) => r.type === 'CNAME' && r.values.length > 0).map((r) => [r.name, r.values[0]!]));
    for (const name of new Set(z.records.filter((r) => cnames.has(r.name)).map((r) => r.name))) {
      const r = z.records.find((x) => x.name === name)!;
      notManaged.push({
        host: name,
        env: r.envs.join(', '),
        app: r.apps.join(', '),
        reason: 'cname',
        detail: `is a CNAME to ${cnames.get(name)} in zone ${z.zone}: remove the CNAME to let Slipway manage its A/AAAA records`,
      });
    }
    return { zone: z.zone, provider: z.provider, changes: z.records.filter((r) => !cnames.has(r.name)).map((r) => change(r, seen)) };
  });
  const all = zones.flatMap((z) => z.changes);
  const count = (k: DnsChangeKind) => all.filter((c) => c.kind === k).length;
  return { zones, notManaged, skipped: desired.skipped, summary: { create: count('create'), update: count('update'), unchanged: count('unchanged') } };
}
