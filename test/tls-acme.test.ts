// HTTPS through nginx with certificates Slipway obtains itself (HTTP-01), on the simulated server
// hostA (10.200.0.2) against Debian's pebble on the hosts' bridge (10.200.0.1; test/support/
// pebble.ts). One environment with two domains, driven through the CLI over SSH:
// - `up` obtains a certificate per domain: nginx serves pebble's HTTP-01 request from the webroot
//   in its data volume, on the HTTP port the host publishes (one of this suite's own: pebble is
//   told to validate there);
// - a client trusting only pebble's root gets HTTPS 200 from the app, and HTTP answers a redirect;
// - the certificates and the account key are 0600 in the server's state (and in the proxy);
// - `slipway certs --json` lists them;
// - a renewal threshold beyond the certificates' lifetime (renew_before: 3650d against pebble's 5
//   years) makes the next `up` renew both under keep-alive HTTPS load: no failed request (a
//   request meeting the reload's close of an idle keep-alive connection is retried once on a new
//   one, as RFC 9112 §9.3.1 allows and browsers do; at most one per connection), and new
//   connections get the new serial.
// - a second environment with `challenge: dns` gets its certificate by DNS-01 through the fleet's
//   RFC 2136 zone on a real BIND (test/support/bind.ts; pebble resolves every name there), for a
//   name whose A record points at another address (192.0.2.99), as a move between servers needs;
//   its challenge record is gone afterwards, and HTTPS to hostA for that name answers 200;
//   `slipway certs staging --renew` renews that one now, and leaves prod's alone.
// Fails (never skips) without the hosts, pebble or BIND.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackTar } from '../src/engine/tar.ts';
import { proxyContainerName } from '../src/model/names.ts';
import { slipwayOk } from './support/cli.ts';
import { fetchVia } from './support/tls-client.ts';
import { startTlsWorld, type TlsWorld } from './support/tls-world.ts';
import type { Bind } from './support/bind.ts';
import type { Pebble } from './support/pebble.ts';
import type { TestProject } from './support/project.ts';
import type { CertRow } from '../src/workflows/tls/cert-list.ts';
import { startTlsLoad, type TlsLoadReport } from './support/tls-load.ts';

const IP = '10.200.0.2';
// Ports of its own on hostA (other suites publish 80 there at the same time); pebble validates
// HTTP-01 on this suite's HTTP port.
let HTTP_PORT = 0;
let HTTPS_PORT = 0;
const ZONE = 'tls-acme.example.com';
const DOMAINS = [`one.${ZONE}`, `two.${ZONE}`];
/** Staging's name: its A record points elsewhere; its certificate comes by DNS-01. */
const MOVED = `moved.${ZONE}`;

let world: TlsWorld;
let docker: Docker;
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
${renewBefore ? `  renew_before: ${renewBefore}\n` : ''}servers:
  vps1: { ssh: root@${IP}, proxy: nginx, http_port: ${HTTP_PORT}, https_port: ${HTTPS_PORT} }
dns:
  ${ZONE}:
    provider: rfc2136
    server: ${bind.host}:${bind.port}
    key: { name: ${bind.keyName}, algorithm: ${bind.algorithm}, secret: { secret: dns-tsig } }
environments:
  prod:
    server: vps1
    deploy: any
    tls: auto
  staging:
    server: vps1
    deploy: any
    tls: { mode: auto, challenge: dns }
apps:
  web:
    git: { repo: ".", context: examples/apps/echo }
    domains: { prod: [${DOMAINS.join(', ')}], staging: ${MOVED} }
    processes:
      web: { command: "node server.js", port: 8000, health: /health }
`;
}

const get = (scheme: 'http' | 'https', host: string) => fetchVia(scheme, { ip: IP, port: scheme === 'https' ? HTTPS_PORT : HTTP_PORT, host, ca: root });

/** Files under `path` in a container on hostA: path → mode and content. */
async function filesIn(container: string, path: string): Promise<Map<string, { mode: number; content: string }>> {
  const stream = await docker.getContainer(container).getArchive({ path });
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  const entries = await unpackTar(Buffer.concat(chunks));
  return new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, { mode: e.mode & 0o777, content: e.content.toString('utf8') }]));
}

const certsJson = async () => JSON.parse((await cliOk(['certs', '--json'])).stdout) as CertRow[];

beforeAll(async () => {
  world = await startTlsWorld(
    {
      host: 'hostA',
      proxy: 'nginx',
      project: 'tls',
      bind: { zone: ZONE, records: [...DOMAINS.map((d) => `${d}. 300 IN A ${IP}`), `${MOVED}. 300 IN A 192.0.2.99`] },
    },
    (w) => {
      ({ docker, pebble, p, env, root } = w);
      bind = w.bind!;
      ({ http: HTTP_PORT, https: HTTPS_PORT } = w.ports);
      return fleetYaml();
    },
  );
}, 900_000);

afterAll(async () => {
  await world?.stop();
}, 300_000);

describe('nginx on hostA with certificates from pebble (HTTP-01)', () => {
  const firstSerials: Record<string, string> = {};

  it('up obtains a certificate per domain; after the deploy, HTTPS answers 200 from the app and HTTP redirects', async () => {
    const up = await cliOk(['up']);
    expect(up.stderr).toMatch(/certificate one\.tls-acme\.example\.com/);
    await cliOk(['deploy', 'web', 'prod', '--drain', '200']);
    for (const host of DOMAINS) {
      const s = await get('https', host);
      expect(s.status, s.body).toBe(200);
      expect(s.body).toMatch(/"release"/);
      firstSerials[host] = s.serial!;
      const h = await get('http', host);
      expect([301, 308]).toContain(h.status);
      expect(h.location).toBe(`https://${host}:${HTTPS_PORT}/`);
    }
  }, 600_000);

  it('keeps the certificates and the account key 0600 in the server state, and in the proxy', async () => {
    const state = await filesIn(`${p.project}-slipway-state`, '/state/tls');
    const names = [...state.keys()].map((k) => k.replace(/^tls\//, '')).sort();
    expect(names).toEqual(
      expect.arrayContaining([expect.stringMatching(/^account-[0-9a-f]{16}\.pem$/), ...DOMAINS.flatMap((d) => [`certs/${d}.json`, `certs/${d}.key`])]),
    );
    for (const [path, f] of state) expect([path, f.mode]).toEqual([path, 0o600]);
    const inProxy = await filesIn(proxyContainerName(p.project), '/data/slipway/certs');
    for (const d of DOMAINS) for (const f of ['fullchain.pem', 'privkey.pem']) expect(inProxy.get(`certs/${d}/${f}`)?.mode).toBe(0o600);
    // The key in the state is the one the proxy serves with.
    for (const d of DOMAINS) expect(state.get(`tls/certs/${d}.key`)?.content).toBe(inProxy.get(`certs/${d}/privkey.pem`)?.content);
  });

  it('slipway certs --json lists them with domains, issuer, expiry, challenge and source', async () => {
    const all = await certsJson();
    expect(all.map((r) => r.host)).toEqual([MOVED, ...DOMAINS].sort());
    const rows = all.filter((r) => r.env === 'prod');
    expect(rows.map((r) => [r.host, r.env, r.domains, r.challenge, r.source, r.serial])).toEqual(
      DOMAINS.map((d) => [d, 'prod', [d], 'http', 'slipway acme', firstSerials[d]]),
    );
    for (const r of all) {
      expect(r.issuer).toMatch(/Pebble/);
      expect(r.daysLeft).toBeGreaterThan(30);
    }
    const text = (await cliOk(['certs'])).stdout;
    expect(text).toMatch(/one\.tls-acme\.example\.com .*slipway acme/);
  }, 120_000);

  it('a second up keeps the certificates (nothing due)', async () => {
    const up = await cliOk(['up', '--json']);
    expect(up.stdout).not.toMatch(/PRIVATE KEY/);
    expect((await certsJson()).filter((r) => r.env === 'prod').map((r) => r.serial)).toEqual(DOMAINS.map((d) => firstSerials[d]));
  }, 300_000);

  it('renew_before beyond the lifetime: up renews both under keep-alive HTTPS load, with no failed request and a new serial', async () => {
    p.writeFleet(fleetYaml('3650d'));
    const loads = DOMAINS.map((host) => startTlsLoad({ ip: IP, port: HTTPS_PORT, host, ca: root, connections: 8 }));
    let reports: TlsLoadReport[];
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await cliOk(['up']);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      reports = await Promise.all(loads.map((l) => l.stop()));
    }
    console.log(`[tls renewal under load] ${JSON.stringify(reports)}`);
    const rows = await certsJson();
    for (const [i, host] of DOMAINS.entries()) {
      const rep = reports[i]!;
      expect(rep.errors).toEqual({});
      expect(rep.non2xx).toEqual({});
      expect(rep.ok2xx).toBe(rep.requests);
      expect(rep.requests).toBeGreaterThan(0);
      // nginx's reload closes each idle keep-alive connection once (one reload for both renewals):
      // a request that meets that close is sent again on a new connection (tls-load.ts says why).
      expect(rep.idleCloseRetries).toBeLessThanOrEqual(8);
      const fresh = rows.find((r) => r.host === host)!.serial;
      expect(fresh).toMatch(/^[0-9a-f]+$/);
      expect(fresh).not.toBe(firstSerials[host]);
      // Clients saw the old certificate, then the new one; a new connection gets the new one.
      expect(Object.keys(rep.serials)).toContain(fresh);
      expect((await get('https', host)).serial).toBe(fresh);
    }
  }, 600_000);

  it('DNS-01 through the fleet’s RFC 2136 zone, for a name whose A record points at another host; the challenge record is removed', async () => {
    // `up` above obtained it (every environment of the server); the app answers once deployed.
    const row = (await certsJson()).find((r) => r.host === MOVED)!;
    expect([row.env, row.domains, row.challenge, row.source]).toEqual(['staging', [MOVED], 'dns', 'slipway acme']);
    expect(bind.dig(MOVED, 'A').join('\n')).toMatch(/192\.0\.2\.99/);
    expect(bind.dig(`_acme-challenge.${MOVED}`, 'TXT')).toEqual([]);
    await cliOk(['deploy', 'web', 'staging', '--drain', '200']);
    const s = await get('https', MOVED);
    expect(s.status, s.body).toBe(200);
    expect(s.serial).toBe(row.serial);
    // `certs staging --renew` renews staging's certificate only, now (back to the default threshold,
    // under which prod's are not due).
    p.writeFleet(fleetYaml());
    const before = await certsJson();
    const renewed = JSON.parse((await cliOk(['certs', 'staging', '--renew', '--json'])).stdout) as CertRow[];
    expect(renewed.map((r) => r.host)).toEqual([MOVED]);
    expect(renewed[0]!.serial).not.toBe(row.serial);
    expect((await get('https', MOVED)).serial).toBe(renewed[0]!.serial);
    const after = await certsJson();
    for (const d of DOMAINS) expect(after.find((r) => r.host === d)!.serial).toBe(before.find((r) => r.host === d)!.serial);
  }, 600_000);
});
