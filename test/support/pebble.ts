// Debian's pebble (Let's Encrypt's test CA) and pebble-challtestsrv (its fake DNS) for one test:
// an own temp dir with a JSON config and a self-signed certificate for pebble's listener (SAN
// 10.200.0.1 and 127.0.0.1, made with openssl), listening on the simulated hosts' bridge
// (10.200.0.1) so the hosts' containers can reach it. Pebble validates HTTP-01 on port `httpPort`
// (80 by default: the port the simulated hosts' proxies publish) of the address challtestsrv
// answers for the name (`addA`). Both processes are stopped by PID. Anything that keeps them from
// starting throws (the test fails, never skips).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild } from './processes.ts';

export const PEBBLE_HOST = '10.200.0.1';

export interface PebbleOptions {
  /** Address pebble listens on (default 10.200.0.1, the root namespace on the hosts' bridge). */
  listen?: string;
  /** Port pebble connects to for HTTP-01 / TLS-ALPN-01 (default 80 / 443). */
  httpPort?: number;
  tlsPort?: number;
  /** Lifetime of issued certificates in seconds (pebble's `certificateValidityPeriod`; default pebble's 5 years). */
  certValiditySeconds?: number;
  /** DNS server pebble resolves names and DNS-01 TXT records with (default: challtestsrv). */
  dnsServer?: string;
}

export interface Pebble {
  /** The ACME directory URL. */
  directory: string;
  /** PEM of the CA that signed pebble's own HTTPS listener (trust it for the directory). */
  listenerCaPem: string;
  /** File holding listenerCaPem (for a fleet's `tls.acme.ca_root`). */
  listenerCaFile: string;
  /** The root pebble signs certificates with (changes on every pebble start). */
  issuerRoot(): Promise<string>;
  /** challtestsrv answers `host` A with `ip`. */
  addA(host: string, ip: string): Promise<void>;
  /** challtestsrv answers `name` TXT with `value` (as a DNS provider would, for DNS-01); clearTxt removes it. */
  setTxt(name: string, value: string): Promise<void>;
  clearTxt(name: string): Promise<void>;
  /** The challtestsrv's DNS address (host:port) pebble resolves with. */
  dnsAddress: string;
  dir: string;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a listener certificate for `names`/`ips`, signed by it (PEM files in `dir`). */
function listenerCert(dir: string, ips: string[]): { ca: string; cert: string; key: string } {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=slipway test pebble listener CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=pebble', '-keyout', 'key.pem', '-out', 'cert.csr'], dir);
  const san = ['DNS:localhost', 'DNS:pebble', ...ips.map((ip) => `IP:${ip}`)].join(',');
  writeFileSync(join(dir, 'ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(
    ['x509', '-req', '-in', 'cert.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'ext.cnf', '-out', 'cert.pem'],
    dir,
  );
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/** Resolves once `port` on `host` accepts a TCP connection; throws with the child's output if it exits or takes over 15 s. */
async function waitListening(child: ChildProcess, name: string, out: () => string, host: string, port: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening on ${host}:${port}: ${out()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} is not listening on ${host}:${port} after 15 s: ${out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function spawnLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string } {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (d: Buffer) => {
    text = (text + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (e) => keep(Buffer.from(`spawn error: ${e.message}`)));
  return { child, out: () => text.trim() };
}

export async function startPebble(opts: PebbleOptions = {}): Promise<Pebble> {
  const listen = opts.listen ?? PEBBLE_HOST;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-pebble-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const tls = listenerCert(dir, [...new Set([listen, '127.0.0.1'])]);
    const [acmePort, mgmtPort, dnsPort, challMgmt] = [await freePort(listen), await freePort(listen), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    const dnsAddress = `127.0.0.1:${dnsPort}`;
    const config = {
      pebble: {
        listenAddress: `${listen}:${acmePort}`,
        managementListenAddress: `${listen}:${mgmtPort}`,
        certificate: tls.cert,
        privateKey: tls.key,
        httpPort: opts.httpPort ?? 80,
        tlsPort: opts.tlsPort ?? 443,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(opts.certValiditySeconds !== undefined ? { certificateValidityPeriod: opts.certValiditySeconds } : {}),
      },
    };
    writeFileSync(join(dir, 'pebble.json'), JSON.stringify(config, null, 2));
    const chall = spawnLogged(
      'pebble-challtestsrv',
      ['-dns01', dnsAddress, '-management', `127.0.0.1:${challMgmt}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-defaultIPv6', '', '-defaultIPv4', ''],
      process.env,
    );
    children.push(chall.child);
    await waitListening(chall.child, 'pebble-challtestsrv', chall.out, '127.0.0.1', challMgmt);
    const pebble = spawnLogged('pebble', ['-config', join(dir, 'pebble.json'), '-dnsserver', opts.dnsServer ?? dnsAddress], {
      ...process.env,
      PEBBLE_VA_NOSLEEP: '1',
    });
    children.push(pebble.child);
    await waitListening(pebble.child, 'pebble', pebble.out, listen, acmePort);
    const listenerCaPem = readFileSync(tls.ca, 'utf8');
    const mgmtGet = (path: string) => httpsGet(listen, mgmtPort, path, listenerCaPem);
    return {
      directory: `https://${listen}:${acmePort}/dir`,
      listenerCaPem,
      listenerCaFile: tls.ca,
      issuerRoot: () => mgmtGet('/roots/0'),
      addA: (host, ip) => challPost(challMgmt, '/add-a', { host: fqdn(host), addresses: [ip] }),
      setTxt: (name, value) => challPost(challMgmt, '/set-txt', { host: fqdn(name), value }),
      clearTxt: (name) => challPost(challMgmt, '/clear-txt', { host: fqdn(name) }),
      dnsAddress,
      dir,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

const fqdn = (name: string) => (name.endsWith('.') ? name : `${name}.`);

function httpsGet(host: string, port: number, path: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`pebble ${path}: HTTP ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

function challPost(port: number, path: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`challtestsrv ${path}: HTTP ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}
