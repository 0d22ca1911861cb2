// Caddy serving certificates Slipway obtains itself by DNS-01 (Debian's Caddy has no DNS
// modules), on the simulated server hostB (10.200.0.3) against Debian's pebble and a real BIND
// (test/support/pebble.ts, test/support/bind.ts; pebble resolves every name at the BIND):
// - `up` obtains the certificate through the fleet's RFC 2136 zone for a name whose A record
//   points at another address (192.0.2.99), writes it to Caddy's data volume, and Caddy serves it:
//   a client trusting only pebble's root gets HTTPS 200 from the app;
// - `slipway certs --json` lists it as Slipway's (challenge dns), not Caddy's;
// - renew_before beyond its lifetime makes the next `up` renew it under keep-alive HTTPS load: no
//   failed request, and Caddy (reloaded with --force: its config is unchanged) serves the new
//   serial to new connections.
// The suite uses ports of its own on hostB. Fails (never skips) without the hosts, pebble or BIND.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipwayOk } from './support/cli.ts';
import { fetchVia } from './support/tls-client.ts';
import { startTlsWorld, type TlsWorld } from './support/tls-world.ts';
import type { Bind } from './support/bind.ts';
import type { Pebble } from './support/pebble.ts';
import type { TestProject } from './support/project.ts';
import type { CertRow } from '../src/workflows/tls/cert-list.ts';
import { startTlsLoad, type TlsLoadReport } from './support/tls-load.ts';

const IP = '10.200.0.3';
let HTTP_PORT = 0;
let HTTPS_PORT = 0;
const ZONE = 'tls-cdns.example.com';
const MOVED = `moved.${ZONE}`;

let world: TlsWorld;
let pebble: Pebble;
let bind: Bind;
let p: TestProject;
let env: Record<string, string>;
let root = '';

const cliOk = (args: string[]) => slipwayOk(args, { cwd: p.dir, env });

function fleetYaml(renewBefore?: string): string {
  return `project: ${p.project}
tls:
  acme: { directory: "${pebble.directory}", email: ops@example.com, ca_root: ./pebble-ca.pem }
  challenge: dns
${renewBefore ? `  renew_before: ${renewBefore}\n` : ''}servers:
  vps2: { ssh: root@${IP}, proxy: caddy, http_port: ${HTTP_PORT}, https_port: ${HTTPS_PORT} }
dns:
  ${ZONE}:
    provider: rfc2136
    server: ${bind.host}:${bind.port}
    key: { name: ${bind.keyName}, algorithm: ${bind.algorithm}, secret: { secret: dns-tsig } }
environments:
  prod: { server: vps2, deploy: any, tls: auto }
apps:
  web:
    git: { repo: ".", context: examples/apps/echo }
    domains: { prod: ${MOVED} }
    processes:
      web: { command: "node server.js", port: 8000, health: /health }
`;
}

const getHttps = async (host: string) => {
  const g = await fetchVia('https', { ip: IP, port: HTTPS_PORT, host, ca: root });
  return { ...g, serial: g.serial ?? '' };
};

const certsJson = async () => JSON.parse((await cliOk(['certs', '--json'])).stdout) as CertRow[];

beforeAll(async () => {
  world = await startTlsWorld({ host: 'hostB', proxy: 'caddy', project: 'tlsc', bind: { zone: ZONE, records: [`${MOVED}. 300 IN A 192.0.2.99`] } }, (w) => {
    ({ pebble, p, env, root } = w);
    bind = w.bind!;
    ({ http: HTTP_PORT, https: HTTPS_PORT } = w.ports);
    return fleetYaml();
  });
}, 900_000);

afterAll(async () => {
  await world?.stop();
}, 300_000);

describe('Caddy on hostB with a certificate Slipway obtains by DNS-01', () => {
  let first = '';

  it('up obtains it for a name pointing elsewhere; Caddy serves it; certs lists it as Slipway’s', async () => {
    await cliOk(['up']);
    await cliOk(['deploy', 'web', 'prod', '--drain', '200']);
    const rows = await certsJson();
    expect(rows.map((r) => [r.host, r.env, r.domains, r.challenge, r.source])).toEqual([[MOVED, 'prod', [MOVED], 'dns', 'slipway acme']]);
    first = rows[0]!.serial;
    const s = await getHttps(MOVED);
    expect(s.status, s.body).toBe(200);
    expect(s.body).toMatch(/"release"/);
    expect(s.serial).toBe(first);
    expect(bind.dig(`_acme-challenge.${MOVED}`, 'TXT')).toEqual([]);
  }, 600_000);

  it('renew_before beyond the lifetime: up renews it under keep-alive HTTPS load; no failed request; Caddy serves the new serial', async () => {
    p.writeFleet(fleetYaml('3650d'));
    const load = startTlsLoad({ ip: IP, port: HTTPS_PORT, host: MOVED, ca: root, connections: 8 });
    let report: TlsLoadReport;
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await cliOk(['up']);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      report = await load.stop();
    }
    console.log(`[caddy dns-01 renewal under load] ${JSON.stringify(report)}`);
    expect(report.errors).toEqual({});
    expect(report.non2xx).toEqual({});
    expect(report.ok2xx).toBe(report.requests);
    expect(report.requests).toBeGreaterThan(0);
    expect(report.idleCloseRetries).toBeLessThanOrEqual(8);
    const fresh = (await certsJson())[0]!.serial;
    expect(fresh).not.toBe(first);
    expect((await getHttps(MOVED)).serial).toBe(fresh);
  }, 600_000);
});
