// HTTPS through Caddy with its own ACME client (HTTP-01), on the simulated server hostB
// (10.200.0.3) against Debian's pebble on the hosts' bridge (10.200.0.1; test/support/pebble.ts).
// One environment with two domains, driven through the CLI over SSH:
// - `up` renders Caddy's ACME policy for pebble's directory, and pushes the CA root Caddy must
//   trust for the directory's HTTPS; Caddy answers pebble's HTTP-01 requests on the HTTP port the
//   host publishes (the suite's own pair of ports, told to pebble);
// - a client trusting only pebble's root gets HTTPS 200 from the app, with HSTS; HTTP answers 308
//   to the published HTTPS port;
// - `slipway certs --json` lists Caddy's certificates from its storage;
// - a host with `tls: off` in the same fleet stays plain HTTP.
// Fails (never skips) without the hosts or pebble.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipwayOk } from './support/cli.ts';
import { fetchVia, type Got } from './support/tls-client.ts';
import { startTlsWorld, type TlsWorld } from './support/tls-world.ts';

const IP = '10.200.0.3';
const DOMAINS = ['one.tls-caddy.example.com', 'two.tls-caddy.example.com'];
const PLAIN = 'plain.tls-caddy.example.com';

let w: TlsWorld;
const cliOk = (args: string[]) => slipwayOk(args, { cwd: w.p.dir, env: w.env });

function fleetYaml(w: TlsWorld): string {
  return `project: ${w.p.project}
tls:
  acme: { directory: "${w.pebble.directory}", email: ops@example.com, ca_root: ./pebble-ca.pem }
  hsts: { max_age: 1d }
servers:
  vps2: { ssh: root@${IP}, proxy: caddy, http_port: ${w.ports.http}, https_port: ${w.ports.https} }
environments:
  prod: { server: vps2, deploy: any }
  qa: { server: vps2, deploy: any, tls: "off" }
apps:
  web:
    git: { repo: ".", context: examples/apps/echo }
    domains: { prod: [${DOMAINS.join(', ')}], qa: [${PLAIN}] }
    processes:
      web: { command: "node server.js", port: 8000, health: /health }
`;
}

const get = (scheme: 'http' | 'https', host: string) => fetchVia(scheme, { ip: IP, port: w.ports[scheme], host, ca: w.root });

/** Caddy gets its certificates in the background, after its config is loaded: wait for HTTPS to answer (up to 60 s). */
async function httpsWhenReady(host: string): Promise<Got> {
  const until = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < until) {
    try {
      return await get('https', host);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error(`no HTTPS answer from ${host} on ${IP} within 60 s: ${String(last)}`);
}

beforeAll(async () => {
  w = await startTlsWorld({ host: 'hostB', proxy: 'caddy', project: 'tlscaddy', names: [...DOMAINS, PLAIN] }, fleetYaml);
}, 900_000);

afterAll(async () => {
  await w?.stop();
}, 300_000);

describe('Caddy on hostB with certificates from pebble (its own HTTP-01)', () => {
  it('publishes 443, gets a certificate per domain, and answers HTTPS 200 with HSTS; HTTP redirects with a 308', async () => {
    await cliOk(['up']);
    await cliOk(['deploy', 'web', 'prod', '--drain', '200']);
    await cliOk(['deploy', 'web', 'qa', '--drain', '200']);
    const proxy = await w.docker.getContainer(`${w.p.project}-proxy`).inspect();
    expect(proxy.HostConfig.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: String(w.ports.http) }],
      '443/tcp': [{ HostIp: '', HostPort: String(w.ports.https) }],
    });
    for (const host of DOMAINS) {
      const s = await httpsWhenReady(host);
      expect(s.status, s.body).toBe(200);
      expect(JSON.parse(s.body)).toMatchObject({ app: 'web', env: 'prod' });
      expect(s.issuer).toMatch(/Pebble/);
      expect(s.hsts).toBe('max-age=86400');
      const h = await get('http', host);
      expect(h.status).toBe(308);
      expect(h.location).toBe(`https://${host}:${w.ports.https}/`);
      expect(h.hsts).toBeUndefined();
    }
  }, 600_000);

  it('keeps a tls: off host on plain HTTP, without a redirect', async () => {
    const h = await get('http', PLAIN);
    expect(h.status, h.body).toBe(200);
    expect(JSON.parse(h.body)).toMatchObject({ app: 'web', env: 'qa' });
  }, 60_000);

  it('slipway certs --json lists the certificates Caddy obtained', async () => {
    const rows = JSON.parse((await cliOk(['certs', '--json'])).stdout) as { host: string; issuer: string; source: string; daysLeft: number }[];
    const mine = rows.filter((r) => DOMAINS.includes(r.host)).sort((a, b) => a.host.localeCompare(b.host));
    expect(mine.map((r) => r.host)).toEqual(DOMAINS);
    for (const r of mine) {
      expect(r.issuer).toMatch(/Pebble/);
      expect(r.source).toMatch(/caddy/);
      expect(r.daysLeft).toBeGreaterThan(30);
    }
  }, 120_000);
});
