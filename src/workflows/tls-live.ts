// `check --live`, TLS and DNS part: what only the servers and the zones can tell.
// - A domain in a managed zone whose A/AAAA records do not point at its server's addresses (what
//   `dns plan` would create or change, TTL changes aside).
// - A certificate the proxy serves that expires within 14 days, and a certificate Slipway should
//   hold (nginx, DNS-01, files) or Caddy should have got (HTTP-01) but does not.
// Findings, like `check`'s: warnings, never a failed live check (the proxy still answers).
import type { Fleet } from '../config/fleet.ts';
import type { Finding } from '../plan/check/finding.ts';
import { finding } from '../plan/check/finding.ts';
import { dnsPlan, type GetSecret } from './dns.ts';
import type { ServerRun } from './server-run.ts';
import { listCertificates } from './tls/cert-list.ts';
import { certNeeds } from './tls/cert-needs.ts';
import { tlsServing } from '../model/tls.ts';
import { proxyContainerName } from '../model/names.ts';

/** Days before expiry from which `check --live` warns (the 14; renewal starts at renew_before, 30 by default). */
export const EXPIRY_WARNING_DAYS = 14;

export async function liveDnsFindings(fleet: Fleet, getSecret: GetSecret): Promise<Finding[]> {
  if (fleet.dns.length === 0) return [];
  let plan: Awaited<ReturnType<typeof dnsPlan>>;
  try {
    plan = await dnsPlan(fleet, getSecret);
  } catch (e) {
    return [
      finding({
        severity: 'warning',
        code: 'dns-lookup-failed',
        subject: fleet.dns.map((z) => z.zone).join(', '),
        message: `could not read the managed zones to compare their records with the servers: ${(e as Error).message}`,
        hint: 'check the zone servers and credentials with `slipway dns plan`',
      }),
    ];
  }
  const out: Finding[] = [];
  for (const z of plan.zones) {
    for (const c of z.changes) {
      if (c.kind === 'unchanged') continue;
      const now = c.current?.values ?? [];
      const same = now.length === c.values.length && now.every((v, i) => v === c.values[i]);
      if (same) continue; // only the TTL differs
      out.push(
        finding({
          severity: 'warning',
          code: 'dns-points-elsewhere',
          ...(c.envs.length === 1 ? { env: c.envs[0]! } : {}),
          subject: c.name,
          message:
            now.length === 0
              ? `${c.name} has no ${c.type} record in zone ${z.zone}: it does not point at its server (${c.values.join(', ')})`
              : `${c.name} ${c.type} points at ${now.join(', ')}, not at its server (${c.values.join(', ')})`,
          hint: 'run `slipway dns plan` to see the change, and `slipway dns apply` to make it',
        }),
      );
    }
  }
  return out;
}

export async function liveCertificateFindings(run: ServerRun): Promise<Finding[]> {
  const server = run.conn.server.name;
  const rows = await listCertificates(run);
  const out: Finding[] = [];
  for (const r of rows) {
    if (r.daysLeft >= EXPIRY_WARNING_DAYS) continue;
    out.push(
      finding({
        severity: 'warning',
        code: 'certificate-expiring',
        server,
        ...(r.env ? { env: r.env } : {}),
        subject: r.host,
        message:
          r.daysLeft < 0
            ? `the certificate of ${r.host} (${r.source}) expired ${-r.daysLeft} day(s) ago`
            : `the certificate of ${r.host} (${r.source}) expires in ${r.daysLeft} day(s), on ${r.notAfter}`,
        hint:
          r.source === 'caddy'
            ? 'Caddy renews on its own: look at the proxy logs (`docker logs` of the proxy) for why it has not'
            : r.source === 'files'
              ? 'put the renewed certificate in its secrets, then run `slipway up`'
              : 'run `slipway up` (it renews certificates due within renew_before) and read why it fails',
      }),
    );
  }
  const held = new Set(rows.filter((r) => r.source !== 'caddy').map((r) => r.host));
  const byCaddy = new Set(rows.filter((r) => r.source === 'caddy').map((r) => r.host));
  // Caddy gets its own (HTTP-01) in the background and says nothing to `up` when it cannot.
  for (const r of run.state.routes) {
    if (run.conn.server.proxy !== 'caddy' || r.tls.mode !== 'auto' || tlsServing(r, 'caddy') !== 'proxy' || byCaddy.has(r.host)) continue;
    byCaddy.add(r.host);
    out.push(
      finding({
        severity: 'warning',
        code: 'certificate-missing',
        server,
        env: r.env,
        subject: r.host,
        message: `Caddy has no certificate for ${r.host} yet: HTTPS to it fails until it gets one`,
        hint: `Caddy retries on its own; its log says why it failed (docker logs ${proxyContainerName(run.fleet.project)}). Usually ${r.host} does not point at ${server} yet, or port 80 is closed`,
      }),
    );
  }
  for (const need of certNeeds(run.state.routes, run.conn.server.proxy)) {
    if (held.has(need.host)) continue;
    out.push(
      finding({
        severity: 'warning',
        code: 'certificate-missing',
        server,
        env: need.env,
        subject: need.host,
        message: `${need.host} has no certificate yet: it is served on plain HTTP`,
        hint: 'run `slipway up`: it obtains missing certificates and says why one fails',
      }),
    );
  }
  return out;
}
