// One DNS message over TCP (RFC 1035 4.2.2: a two-byte length, then the message) and its reply.
// Every failure becomes a UserError that names the server and what to check.
import { connect } from 'node:net';
import { UserError } from '../diag/errors.ts';

export interface Endpoint {
  host: string;
  port: number;
  /** For messages: `zone example.com`. */
  what: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export function exchangeTcp(ep: Endpoint, message: Buffer, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
  const where = `${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`;
  const fix = `check \`server:\` of ${ep.what} in the fleet file's dns: section, and that the server accepts DNS over TCP there`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    let settled = false;
    const sock = connect({ host: ep.host, port: ep.port });
    const done = (err: Error | null, reply?: Buffer) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    sock.setTimeout(timeoutMs, () =>
      done(
        new UserError(
          `the DNS server ${where} for ${ep.what} did not answer within ${Math.round(timeoutMs / 1000)} s`,
          `${fix} (a firewall may drop port ${ep.port})`,
        ),
      ),
    );
    sock.on('error', (e: NodeJS.ErrnoException) => done(new UserError(`the DNS server ${where} for ${ep.what} is unreachable (${e.code ?? e.message})`, fix)));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length, 0);
      sock.write(Buffer.concat([len, message]));
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got < 2) return;
      const all = Buffer.concat(chunks);
      const need = all.readUInt16BE(0);
      if (all.length >= 2 + need) done(null, all.subarray(2, 2 + need));
    });
    sock.on('end', () => done(new UserError(`the DNS server ${where} for ${ep.what} closed the connection without a reply`, fix)));
  });
}
