// TLS and DNS rules over the desired routes: a protected environment served on plain HTTP, TLS
// modes a proxy cannot serve, DNS-01 for a host outside every managed zone, and managed zones
// whose server has no public address to point records at. Live rules (DNS answers, certificate
// expiry) are in workflows/tls-live.ts.
import { zoneFor } from '../../config/dns-zones.ts';
import { isLocalHost } from '../../model/tls.ts';
import type { Route } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

function routesOf(desired: Parameters<CheckRule>[0]['desired']): { server: string; proxy: string; route: Route }[] {
  return desired.servers.flatMap((s) => s.routes.map((route) => ({ server: s.server, proxy: s.proxy, route })));
}

export const checkTls: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  const protectedEnvs = new Set(fleet.environments.filter((e) => e.protected).map((e) => e.name));
  for (const { server, proxy, route: r } of routesOf(desired)) {
    if (isLocalHost(r.host)) continue;
    if (r.tls.mode === 'off' && protectedEnvs.has(r.env))
      out.push(
        finding({
          severity: 'warning',
          code: 'tls-off-protected',
          server,
          env: r.env,
          app: r.app,
          subject: r.host,
          message: `${r.host} is public in protected environment ${r.env} with tls: off: passwords and cookies cross the network in clear`,
          hint: `remove \`tls: off\` from environment ${r.env} (tls: auto gets a certificate from Let's Encrypt)`,
        }),
      );
    if (r.tls.mode === 'internal' && proxy === 'nginx')
      out.push(
        finding({
          severity: 'warning',
          code: 'tls-unsupported',
          server,
          env: r.env,
          app: r.app,
          subject: r.host,
          message: `${r.host} asks for tls: internal, but nginx has no local CA: it is served on plain HTTP`,
          hint: `use proxy: caddy on server ${server}, or tls: auto / a certificate from secrets for environment ${r.env}`,
        }),
      );
    if (r.tls.mode === 'auto' && r.tls.challenge === 'dns' && !zoneFor(fleet.dns, r.host))
      out.push(
        finding({
          severity: 'error',
          code: 'tls-dns-no-zone',
          server,
          env: r.env,
          app: r.app,
          subject: r.host,
          message: `${r.host} gets its certificate by DNS-01, but no zone under dns: holds it, so Slipway cannot publish the challenge`,
          hint: `add its zone under dns: (provider rfc2136 or cloudflare), or use challenge: http for environment ${r.env}`,
        }),
      );
  }
  return out;
};

export const checkDnsAddresses: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  if (fleet.dns.length === 0) return out;
  for (const s of desired.servers) {
    const server = fleet.servers.find((x) => x.name === s.server);
    if (!server || (server.addresses ?? []).length > 0) continue;
    const hosts = s.routes.map((r) => r.host).filter((h) => !isLocalHost(h) && zoneFor(fleet.dns, h));
    if (hosts.length === 0) continue;
    const shown = hosts.slice(0, 3).join(', ') + (hosts.length > 3 ? ` and ${hosts.length - 3} more` : '');
    out.push(
      finding({
        severity: 'warning',
        code: 'dns-no-address',
        server: s.server,
        subject: s.server,
        message: `server ${s.server} serves ${shown} in a managed DNS zone but has no address: slipway dns cannot point their records at it`,
        hint: `add \`address: <public IP>\` to server ${s.server}`,
      }),
    );
  }
  return out;
};
