// HTTP health probe over a Dialer stream: one GET, returns the status code (or the error).
import type { Dialer } from '../engine/dialer.ts';
import { streamHeader } from '../engine/secret-handover.ts';
import type { Secret } from '../util/secret.ts';

export interface ProbeResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/** `hostHeader`: the Host to ask for when it is not the address dialled (a proxy's virtual host). */
/** `authorization`: an `Authorization` header value (basic auth of a protected route), kept wrapped until written. */
export async function httpProbe(
  dialer: Dialer,
  host: string,
  port: number,
  path: string,
  timeoutMs: number,
  hostHeader = host,
  authorization?: Secret,
): Promise<ProbeResult> {
  let stream;
  try {
    stream = await dialer.dial(host, port, timeoutMs);
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  return new Promise((resolve) => {
    let buf = '';
    const done = (r: ProbeResult) => {
      clearTimeout(timer);
      stream.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: `no HTTP response within ${timeoutMs} ms` }), timeoutMs);
    stream.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf);
      if (m) done({ ok: Number(m[1]) >= 200 && Number(m[1]) < 400, status: Number(m[1]) });
      else if (buf.length > 64) done({ ok: false, error: 'not an HTTP response' });
    });
    stream.on('error', (e: Error) => done({ ok: false, error: e.message }));
    stream.on('end', () => done({ ok: false, error: buf ? 'connection closed mid-response' : 'connection closed without a response' }));
    const auth = authorization ? `Authorization: ${streamHeader(authorization)}\r\n` : '';
    stream.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\n${auth}User-Agent: slipway-health\r\nConnection: close\r\n\r\n`);
  });
}
