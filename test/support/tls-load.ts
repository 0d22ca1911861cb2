// Keep-alive HTTPS load for certificate tests: `connections` loops, each with its own https agent
// holding at most one socket (reused across requests), sending GETs back-to-back to ip:443 with
// SNI and Host set to `host`, trusting only `ca`. It counts what clients saw and the serials of the
// certificates their connections were served.
//
// A request that fails on a reused socket the server had already closed before sending any
// response (ECONNRESET / "socket hang up" with `req.reusedSocket`) is the documented keep-alive
// race of every HTTP client (RFC 9112 §9.3.1: an idempotent request may be retried): it is
// counted in `idleCloseRetries` and sent once more on a new socket; any second failure, any other
// error and any non-2xx status is a failure.
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface TlsLoadReport {
  requests: number;
  ok2xx: number;
  non2xx: Record<number, number>;
  errors: Record<string, number>;
  idleCloseRetries: number;
  /** Certificate serial (lower-case hex) → requests answered over a connection that presented it. */
  serials: Record<string, number>;
  sockets: number;
}

export interface TlsLoad {
  stop(): Promise<TlsLoadReport>;
  snapshot(): TlsLoadReport;
}

export function startTlsLoad(opts: { ip: string; port?: number; host: string; ca: string; connections?: number; path?: string }): TlsLoad {
  const r: TlsLoadReport = { requests: 0, ok2xx: 0, non2xx: {}, errors: {}, idleCloseRetries: 0, serials: {}, sockets: 0 };
  let stopping = false;
  const one = (agent: Agent): Promise<{ status: number; serial: string } | { error: string; reused: boolean }> =>
    new Promise((resolve) => {
      const req = request(
        {
          host: opts.ip,
          port: opts.port ?? 443,
          path: opts.path ?? '/',
          servername: opts.host,
          headers: { Host: opts.host },
          ca: opts.ca,
          agent,
          timeout: 10_000,
        },
        (res) => {
          const serial = ((res.socket as TLSSocket).getPeerCertificate?.()?.serialNumber ?? '?').toLowerCase();
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, serial }));
          res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, reused: false }));
        },
      );
      req.on('socket', (s) => {
        if (!(s as { __counted?: boolean }).__counted) {
          (s as { __counted?: boolean }).__counted = true;
          r.sockets++;
        }
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, reused: req.reusedSocket }));
      req.end();
    });
  const loops = Array.from({ length: opts.connections ?? 8 }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (!stopping) {
        let got = await one(agent);
        if ('error' in got && got.reused && (got.error === 'ECONNRESET' || got.error === 'EPIPE')) {
          r.idleCloseRetries++;
          got = await one(agent);
        }
        r.requests++;
        if ('error' in got) r.errors[got.error] = (r.errors[got.error] ?? 0) + 1;
        else {
          r.serials[got.serial] = (r.serials[got.serial] ?? 0) + 1;
          if (got.status >= 200 && got.status < 300) r.ok2xx++;
          else r.non2xx[got.status] = (r.non2xx[got.status] ?? 0) + 1;
        }
      }
    } finally {
      agent.destroy();
    }
  });
  const snapshot = () => structuredClone(r);
  return {
    snapshot,
    async stop() {
      stopping = true;
      await Promise.all(loops);
      return snapshot();
    },
  };
}
