// `dns plan` and `dns apply`: the A/AAAA records the fleet's domains need (plan/dns/), compared
// with what each zone's server answers now (src/dns/ providers' lookup, only the names and types
// the fleet has), and the creates and updates applied, one `replace` per record set, each a
// progress step. Record sets the fleet does not name are never read, so never changed. The
// providers' credentials come through getSecret (fleet-wide secrets) and stay wrapped.
import type { DnsZone, Fleet } from '../config/fleet.ts';
import { type DnsProvider, dnsProvider } from '../dns/provider.ts';
import { type DnsChange, type DnsPlan, diffDns } from '../plan/dns/dns-diff.ts';
import { type DnsPlanOptions, desiredDns, type ObservedRecordSet } from '../plan/dns/dns-records.ts';
import { requireEnv } from './env-servers.ts';
import type { Reporter } from './reporter.ts';
import type { GetSecret } from './fleet-secrets.ts';

export type { GetSecret };

export interface DnsWorkflowOptions extends DnsPlanOptions {
  /** Builds a zone's provider (default: dnsProvider). */
  provider?: (zone: DnsZone, getSecret: GetSecret) => Promise<DnsProvider>;
}

export interface DnsApplyResult {
  plan: DnsPlan;
  /** The creates and updates carried out, in order. */
  applied: (DnsChange & { zone: string })[];
}

interface Planned {
  plan: DnsPlan;
  providers: Map<string, DnsProvider>;
}

async function planWithProviders(fleet: Fleet, getSecret: GetSecret, opts: DnsWorkflowOptions): Promise<Planned> {
  if (opts.env !== undefined) requireEnv(fleet, opts.env);
  const desired = desiredDns(fleet, opts);
  const make = opts.provider ?? dnsProvider;
  const providers = new Map<string, DnsProvider>();
  const observed = new Map<string, ObservedRecordSet[]>();
  for (const z of desired.zones) {
    const cfg = fleet.dns.find((d) => d.zone === z.zone)!;
    const p = await make(cfg, getSecret);
    providers.set(z.zone, p);
    const names = [...new Set(z.records.map((r) => r.name))];
    // CNAME too: a name that is an alias cannot take A/AAAA records (the plan says so).
    const types = [...new Set(z.records.map((r) => r.type)), 'CNAME' as const];
    observed.set(z.zone, await p.lookup(names, types));
  }
  return { plan: diffDns(desired, observed), providers };
}

/** What `dns apply` would change, zone by zone. */
export async function dnsPlan(fleet: Fleet, getSecret: GetSecret, opts: DnsWorkflowOptions = {}): Promise<DnsPlan> {
  return (await planWithProviders(fleet, getSecret, opts)).plan;
}

/** Plans, then applies the creates and updates (never anything else), one replace per record set. */
export async function dnsApply(fleet: Fleet, getSecret: GetSecret, report: Reporter, opts: DnsWorkflowOptions = {}): Promise<DnsApplyResult> {
  const { plan, providers } = await planWithProviders(fleet, getSecret, opts);
  const applied: DnsApplyResult['applied'] = [];
  for (const z of plan.zones) {
    const p = providers.get(z.zone)!;
    for (const c of z.changes) {
      if (c.kind === 'unchanged') continue;
      const label = `${c.kind === 'create' ? '+' : '~'} ${c.name} ${c.type} ttl ${c.ttl} ${c.values.join(', ')}`;
      await report.step(label, () => p.replace(c.name, c.type, c.ttl, c.values));
      applied.push({ ...c, zone: z.zone });
    }
  }
  return { plan, applied };
}
