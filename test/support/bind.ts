// A real BIND 9 (`named -g`) for one test: its own temp dir with named.conf, a primary zone that
// takes updates signed with a TSIG key made by `tsig-keygen` (`allow-update { key … }`), a second
// key the server knows but the zone does not allow, and `recursion no`. It listens on a free TCP/UDP
// port of `listen` (127.0.0.1 by default; 10.200.0.1 reaches the simulated hosts). Stopped by PID.
// A missing named, or one that does not come up, throws (the test fails, never skips).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopChild } from './processes.ts';

export interface BindOptions {
  zone?: string;
  /** Extra lines for the zone file (relative names or fqdn with a dot), e.g. `keep 300 IN A 192.0.2.99`. */
  records?: string[];
  listen?: string;
  keyName?: string;
  algorithm?: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';
}

export interface Bind {
  zone: string;
  host: string;
  port: number;
  keyName: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';
  /** The zone's update key secret (base64). */
  secret: string;
  /** A key the server knows that the zone does not allow to update. */
  otherKey: { name: string; secret: string };
  dir: string;
  /** `dig @host -p port +noall +answer NAME TYPE` lines (real dig). */
  dig(name: string, type: string): string[];
  log(): string;
  stop(): Promise<void>;
}

function which(cmd: string): void {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'pipe' });
  } catch {
    throw new Error(`${cmd} is not installed: run bash scripts/host-packages.sh (bind9, bind9-dnsutils)`);
  }
}

function keygen(name: string, algorithm: string): { conf: string; secret: string } {
  const conf = execFileSync('tsig-keygen', ['-a', algorithm, name], { encoding: 'utf8' });
  const secret = /secret "([^"]+)"/.exec(conf)?.[1];
  if (!secret) throw new Error(`tsig-keygen printed no secret: ${conf}`);
  return { conf, secret };
}

async function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startBind(opts: BindOptions = {}): Promise<Bind> {
  which('named');
  which('tsig-keygen');
  which('dig');
  const zone = opts.zone ?? 'example.com';
  const host = opts.listen ?? '127.0.0.1';
  const keyName = opts.keyName ?? 'slipway-test';
  const algorithm = opts.algorithm ?? 'hmac-sha256';
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bind-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort(host);
    const key = keygen(keyName, algorithm);
    const other = keygen(`${keyName}-other`, 'hmac-sha256');
    writeFileSync(
      join(dir, 'zone.db'),
      [
        `$ORIGIN ${zone}.`,
        '$TTL 300',
        `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 300`,
        `@ IN NS ns.${zone}.`,
        'ns IN A 127.0.0.1',
        ...(opts.records ?? []),
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'named.conf'),
      `${key.conf}${other.conf}
options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  listen-on port ${port} { ${host}; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
};
controls { };
zone "${zone}" {
  type primary;
  file "${dir}/zone.db";
  allow-update { key "${keyName}"; };
};
`,
    );
    let out = '';
    child = spawn('named', ['-g', '-u', 'root', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-20000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', (e) => keep(Buffer.from(`spawn error: ${e.message}`)));
    const c = child;
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`named exited (${c.exitCode ?? c.signalCode}) before it was ready: ${out.slice(-3000)}`);
      if (/\brunning\b/.test(out) && (await tcpOpen(host, port))) break;
      if (Date.now() > deadline) throw new Error(`named is not ready on ${host}:${port} after 15 s: ${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      zone,
      host,
      port,
      keyName,
      algorithm,
      secret: key.secret,
      otherKey: { name: `${keyName}-other`, secret: other.secret },
      dir,
      dig: (name, type) =>
        execFileSync('dig', [`@${host}`, '-p', String(port), '+noall', '+answer', '+tcp', name, type], { encoding: 'utf8' })
          .split('\n')
          .map((l) => l.trim().replace(/\s+/g, ' '))
          .filter((l) => l !== '' && !l.startsWith(';')),
      log: () => out,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
