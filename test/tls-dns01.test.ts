// A certificate by DNS-01 through a real BIND (RFC 2136 with TSIG), for a domain whose A record
// points at another host, served by nginx on the simulated server hostB (10.200.0.3), the move's
// precondition. Pebble (test/support/pebble.ts) resolves through the same BIND
// (test/support/bind.ts), so the TXT record it reads is the one Slipway's signed update wrote.
// Driven through the CLI over SSH, the TSIG secret set as a user sets it (the repository's
// encrypted secrets/_all.age):
// - `up` obtains the certificate although the name points at 192.0.2.99; a client trusting
//   pebble's root gets HTTPS 200 from the app on hostB; the TXT record is gone afterwards;
// - `check --live` warns that the name does not point at its server, and that the certificate
//   (pebble issues it for 10 days here) expires within 14 days;
// - `dns apply` points the name at hostB; `check --live` no longer warns about DNS;
// - the TSIG secret appears in no output.
// Fails (never skips) without the hosts, BIND or pebble.
import type { Finding } from '../src/plan/check/finding.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, slipway } from './support/cli.ts';
import { fetchVia } from './support/tls-client.ts';
import { startTlsWorld, type TlsWorld } from './support/tls-world.ts';

const IP = '10.200.0.3';
const ZONE = 'dns01.example.com';
const HOST = `shop.${ZONE}`;
const ELSEWHERE = '192.0.2.99';

let w: TlsWorld;
const outputs: string[] = [];

async function cli(args: string[], input?: string): Promise<CliResult> {
  const r = await slipway(args, { cwd: w.p.dir, env: w.env, input });
  outputs.push(r.stdout, r.stderr);
  return r;
}
const show = (r: CliResult) => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

function fleetYaml(w: TlsWorld): string {
  const bind = w.bind!;
  return `project: ${w.p.project}
secrets:
  recipients: [${w.recipient}]
tls:
  acme: { directory: "${w.pebble.directory}", email: ops@example.com, ca_root: ./pebble-ca.pem }
servers:
  vps2: { ssh: root@${IP}, address: ${IP}, proxy: nginx, http_port: ${w.ports.http}, https_port: ${w.ports.https} }
environments:
  prod: { server: vps2, deploy: any, protected: true, tls: { challenge: dns } }
dns:
  ${ZONE}:
    provider: rfc2136
    server: ${bind.host}:${bind.port}
    key: { name: ${bind.keyName}, algorithm: ${bind.algorithm}, secret: { secret: dns-tsig } }
    ttl: 120
apps:
  web:
    git: { repo: ".", context: examples/apps/echo }
    domains: { prod: [${HOST}] }
    processes:
      web: { command: "node server.js", port: 8000, health: /health }
`;
}

const getHttps = (host: string) => fetchVia('https', { ip: IP, port: w.ports.https, host, ca: w.root });

async function liveFindings(): Promise<Finding[]> {
  const r = await cli(['check', '--live', '--json']);
  expect(r.stdout, show(r)).not.toBe('');
  return (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter((f) => /^(dns|certificate)-/.test(f.code));
}

beforeAll(async () => {
  w = await startTlsWorld(
    {
      host: 'hostB',
      proxy: 'nginx',
      project: 'tlsdns',
      bind: { zone: ZONE, listen: '10.200.0.1', records: [`shop 300 IN A ${ELSEWHERE}`, 'keep 600 IN TXT "not ours"'] },
      certValiditySeconds: 10 * 86_400,
      ageSecrets: true,
    },
    fleetYaml,
  );
}, 900_000);

afterAll(async () => {
  await w?.stop();
}, 300_000);

describe('nginx on hostB with a certificate by DNS-01 through BIND', () => {
  it('up obtains it while the name points elsewhere; HTTPS answers 200 from the app; the challenge record is gone', async () => {
    expect(w.bind!.dig(HOST, 'A')).toEqual([`${HOST}. 300 IN A ${ELSEWHERE}`]);
    const up = await cli(['up']);
    expect(up.code, show(up)).toBe(0);
    const deploy = await cli(['deploy', 'web', 'prod', '--drain', '200']);
    expect(deploy.code, show(deploy)).toBe(0);
    const s = await getHttps(HOST);
    expect(s.status, s.body).toBe(200);
    expect(JSON.parse(s.body)).toMatchObject({ app: 'web', env: 'prod' });
    expect(w.bind!.dig(`_acme-challenge.${HOST}`, 'TXT')).toEqual([]);
    expect(w.bind!.dig(`keep.${ZONE}`, 'TXT')).toEqual([`keep.${ZONE}. 600 IN TXT "not ours"`]);
  }, 600_000);

  it('check --live warns that the name points elsewhere and that the certificate expires within 14 days', async () => {
    const f = await liveFindings();
    expect(f.map((x) => `${x.severity} ${x.code} ${x.subject}`).sort()).toEqual([
      `warning certificate-expiring ${HOST}`,
      `warning dns-points-elsewhere ${HOST}`,
    ]);
    expect(f.find((x) => x.code === 'dns-points-elsewhere')!.message).toBe(`${HOST} A points at ${ELSEWHERE}, not at its server (${IP})`);
  }, 300_000);

  it('dns apply points the name at hostB; check --live stops warning about DNS', async () => {
    const r = await cli(['dns', 'apply']);
    expect(r.code, show(r)).toBe(0);
    expect(w.bind!.dig(HOST, 'A')).toEqual([`${HOST}. 120 IN A ${IP}`]);
    expect((await liveFindings()).map((x) => x.code)).toEqual(['certificate-expiring']);
  }, 300_000);

  it('never shows the TSIG secret', () => {
    expect(outputs.join('\n')).not.toContain(w.bind!.secret);
  });
});
