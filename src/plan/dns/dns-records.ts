// The A/AAAA records the fleet's domains need, grouped by the zone of `dns:` that holds them
// (the longest suffix). Each domain of an app in an environment points at the public addresses
// (`address:`) of the server the app runs on there. Domains under .localhost/.test are skipped;
// a domain with no zone, or whose server has no address, is listed as not managed. Pure.
import type { DnsZone, Fleet } from '../../config/fleet.ts';
import { isLocalHost } from '../../model/tls.ts';
import { zoneFor } from '../../config/dns-zones.ts';

export type AddressRecordType = 'A' | 'AAAA';

/** A record set as the zone's server has it (the same shape as src/dns's DnsRecord). */
export interface ObservedRecordSet {
  name: string;
  type: 'A' | 'AAAA' | 'TXT' | 'CNAME';
  ttl: number;
  values: string[];
}

export interface DesiredRecordSet {
  name: string;
  type: AddressRecordType;
  ttl: number;
  /** Sorted. */
  values: string[];
  /** The environments (and apps) whose domain this is. */
  envs: string[];
  apps: string[];
  server: string;
}

export interface NotManaged {
  host: string;
  env: string;
  app: string;
  reason: 'no-zone' | 'no-address' | 'conflict' | 'cname';
  detail: string;
}

export interface DesiredZone {
  zone: string;
  provider: string;
  records: DesiredRecordSet[];
}

export interface DesiredDns {
  zones: DesiredZone[];
  notManaged: NotManaged[];
  /** Hosts under .localhost/.test: served locally, never in public DNS. */
  skipped: string[];
}

export interface DnsPlanOptions {
  /** TTL for every record instead of each zone's `ttl` (e.g. 60 ahead of a move). */
  ttl?: number;
  /** Only this environment's domains. */
  env?: string;
}

const norm = (h: string) => h.trim().toLowerCase().replace(/\.$/, '');

/** An address in the form DNS servers answer with (IPv6 compressed and lower case). */
export function canonicalAddress(a: string): { type: AddressRecordType; value: string } {
  if (!a.includes(':')) return { type: 'A', value: a.trim() };
  try {
    return { type: 'AAAA', value: new URL(`http://[${a.trim()}]`).hostname.slice(1, -1) };
  } catch {
    return { type: 'AAAA', value: a.trim().toLowerCase() };
  }
}

export function describeProvider(z: DnsZone): string {
  const p = z.provider;
  return p.kind === 'rfc2136'
    ? `rfc2136 ${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}, key ${p.keyName}`
    : `cloudflare${p.api ? ` ${p.api}` : ''}`;
}

/** Every (env, app, host) the fleet routes, in fleet order. */
function routedHosts(fleet: Fleet, envFilter?: string): { env: string; app: string; host: string; server: string }[] {
  const out: { env: string; app: string; host: string; server: string }[] = [];
  for (const env of fleet.environments) {
    if (envFilter !== undefined && env.name !== envFilter) continue;
    for (const app of fleet.apps) {
      const ae = app.perEnv[env.name];
      if (!ae) continue;
      const hosts = [...ae.domains, ...ae.processes.filter((p) => p.port !== undefined).flatMap((p) => p.domains ?? [])];
      for (const host of hosts) out.push({ env: env.name, app: app.name, host: norm(host), server: ae.server });
    }
  }
  return out;
}

export function desiredDns(fleet: Fleet, opts: DnsPlanOptions = {}): DesiredDns {
  const zones = fleet.dns ?? [];
  const byZone = new Map<string, Map<string, DesiredRecordSet>>();
  const notManaged: NotManaged[] = [];
  const skipped = new Set<string>();
  const owner = new Map<string, { server: string; env: string; app: string }>();
  for (const r of routedHosts(fleet, opts.env)) {
    if (isLocalHost(r.host)) {
      skipped.add(r.host);
      continue;
    }
    const zone = zoneFor(zones, r.host);
    if (!zone) {
      notManaged.push({ ...r, reason: 'no-zone', detail: 'no zone in dns: holds it' });
      continue;
    }
    const server = fleet.servers.find((s) => s.name === r.server);
    const addresses = (server?.addresses ?? []).map(canonicalAddress);
    if (addresses.length === 0) {
      notManaged.push({ ...r, reason: 'no-address', detail: `server ${r.server} has no address: (its public IP)` });
      continue;
    }
    const first = owner.get(r.host);
    if (first && first.server !== r.server) {
      notManaged.push({ ...r, reason: 'conflict', detail: `also routed by ${first.env} on server ${first.server}` });
      continue;
    }
    owner.set(r.host, { server: r.server, env: r.env, app: r.app });
    const sets = byZone.get(zone.zone) ?? new Map<string, DesiredRecordSet>();
    byZone.set(zone.zone, sets);
    for (const type of ['A', 'AAAA'] as const) {
      const values = [...new Set(addresses.filter((a) => a.type === type).map((a) => a.value))].sort();
      if (values.length === 0) continue;
      const key = `${r.host} ${type}`;
      const rec = sets.get(key) ?? { name: r.host, type, ttl: opts.ttl ?? zone.ttl, values, envs: [], apps: [], server: r.server };
      if (!rec.envs.includes(r.env)) rec.envs.push(r.env);
      if (!rec.apps.includes(r.app)) rec.apps.push(r.app);
      sets.set(key, rec);
    }
  }
  // A host routed by two servers is taken out entirely: neither server's records would be right.
  const conflicted = new Set(notManaged.filter((n) => n.reason === 'conflict').map((n) => n.host));
  return {
    zones: zones
      .filter((z) => byZone.has(z.zone))
      .map((z) => ({
        zone: z.zone,
        provider: describeProvider(z),
        records: [...byZone.get(z.zone)!.values()]
          .filter((r) => !conflicted.has(r.name))
          .sort((a, b) => (a.name === b.name ? a.type.localeCompare(b.type) : a.name.localeCompare(b.name))),
      })),
    notManaged: [
      ...notManaged,
      ...[...conflicted].flatMap((host) => {
        const o = owner.get(host)!;
        return [{ host, env: o.env, app: o.app, reason: 'conflict' as const, detail: `routed by more than one server (${o.server} and another)` }];
      }),
    ],
    skipped: [...skipped].sort(),
  };
}
