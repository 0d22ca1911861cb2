// The DNS port's data: a record set (name, type, TTL, values) and the provider that reads and
// replaces record sets in one zone. provider.ts re-exports these with the factory.
export type RecordType = 'A' | 'AAAA' | 'TXT' | 'CNAME';

export interface DnsRecord {
  /** fqdn, lower case, no trailing dot */
  name: string;
  type: RecordType;
  ttl: number;
  /** sorted */
  values: string[];
}

export interface DnsProvider {
  readonly zone: string;
  /** The record sets of these names and types as the zone's server answers them now. */
  lookup(names: readonly string[], types: readonly RecordType[]): Promise<DnsRecord[]>;
  /** Replaces the record set (name, type) with `values` at `ttl`; no values deletes it. */
  replace(name: string, type: RecordType, ttl: number, values: readonly string[]): Promise<void>;
}

/** A name as record sets carry it: lower case, no trailing dot. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** A value in the form both providers and the plan compare: IPv6 compressed (RFC 5952), names lower case. */
export function normalizeValue(type: RecordType, value: string): string {
  if (type === 'AAAA') {
    try {
      return new URL(`http://[${value}]`).hostname.slice(1, -1);
    } catch {
      return value.toLowerCase();
    }
  }
  if (type === 'CNAME') return normalizeName(value);
  return value;
}

export const RECORD_TYPES: readonly RecordType[] = ['A', 'AAAA', 'TXT', 'CNAME'];
