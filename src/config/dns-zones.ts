// Which managed zone (`dns:`) holds a host: the longest zone the name is in. One rule for the DNS
// plan, the certificate step (DNS-01) and `check`.
import type { DnsZone } from './fleet.ts';

/** The zone that holds `host` (longest suffix), if any. Zone names are normalized at load. */
export function zoneFor(zones: readonly DnsZone[], host: string): DnsZone | undefined {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  let best: DnsZone | undefined;
  for (const z of zones) if ((h === z.zone || h.endsWith(`.${z.zone}`)) && (!best || z.zone.length > best.zone.length)) best = z;
  return best;
}
