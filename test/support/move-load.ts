// The traffic of the move suites, from the host to a server's proxy (ip:port, Host header):
// - readers: `connections` keep-alive loops of GET /items/N (a row read from the database), with
//   the keep-alive idle-close rule of tls-load.ts (a request that fails on a reused socket before
//   any response is sent once more, counted in idleCloseRetries);
// - a writer: POST /rows back-to-back on fresh connections (a POST is never retried blindly). A 503
//   with Retry-After is the declared pause: counted, and the same row is sent again 100 ms later
//   (sooner than Retry-After asks, so that the pause is measured to 0.1 s). Every 201's id is kept:
//   the acknowledged writes.
import { Agent, request } from 'node:http';

export interface MoveLoadReport {
  reads: number;
  readOk: number;
  readNon2xx: Record<number, number>;
  readErrors: Record<string, number>;
  idleCloseRetries: number;
  writes: number;
  acked: number[];
  /** 503s with Retry-After (the declared pause). */
  held: number;
  writeNon2xx: Record<number, number>;
  writeErrors: Record<string, number>;
  /** Longest time from a held write's first 503 to its 201, ms. */
  longestPauseMs: number;
  /** Longest single write request, sent to answered, ms (a write that waited in the proxy: `move.held_writes: wait`). */
  longestWriteMs: number;
}

export interface MoveLoad {
  stop(): Promise<MoveLoadReport>;
  snapshot(): MoveLoadReport;
}

const bump = (m: Record<string | number, number>, k: string | number) => {
  m[k] = (m[k] ?? 0) + 1;
};

type Answer = { status: number; retryAfter?: string; body: string } | { error: string; reused: boolean };

function send(opts: { ip: string; port: number; host: string; method: string; path: string; agent: Agent | false; timeoutMs: number }): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: opts.ip,
        port: opts.port,
        method: opts.method,
        path: opts.path,
        headers: { Host: opts.host, 'content-length': 0 },
        agent: opts.agent,
        timeout: opts.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}),
          }),
        );
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, reused: false }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, reused: req.reusedSocket }));
    req.end();
  });
}

/** One request to ip:port with a Host header (fetch cannot set Host): status and body. */
export async function httpVia(
  ip: string,
  port: number,
  host: string,
  method: string,
  path: string,
  body?: string,
  timeoutMs = 15_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: ip, port, method, path, headers: { Host: host, 'content-length': Buffer.byteLength(body ?? '') }, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} http://${host}${path} via ${ip}:${port} timed out`)));
    req.on('error', reject);
    req.end(body ?? '');
  });
}

export function startMoveLoad(opts: {
  ip: string;
  port?: number;
  host: string;
  connections?: number;
  maxItem: number;
  writeEveryMs?: number;
  /** The readers' path (default: a random /items/N). */
  readPath?: string;
  /** Run the writer (default true). */
  writes?: boolean;
  /** Each reader waits this long between requests (a rate-limited route). */
  readEveryMs?: number;
  /** A request with no answer after this long is a failure (default 15 s; held writes that wait need more). */
  timeoutMs?: number;
}): MoveLoad {
  const port = opts.port ?? 80;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const r: MoveLoadReport = {
    reads: 0,
    readOk: 0,
    readNon2xx: {},
    readErrors: {},
    idleCloseRetries: 0,
    writes: 0,
    acked: [],
    held: 0,
    writeNon2xx: {},
    writeErrors: {},
    longestPauseMs: 0,
    longestWriteMs: 0,
  };
  let stopping = false;
  const reader = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (!stopping) {
      const path = opts.readPath ?? `/items/${1 + Math.floor(Math.random() * opts.maxItem)}`;
      r.reads++;
      let a = await send({ ip: opts.ip, port, host: opts.host, method: 'GET', path, agent, timeoutMs });
      if ('error' in a && a.reused && (a.error === 'ECONNRESET' || a.error === 'socket hang up' || a.error === 'EPIPE')) {
        r.idleCloseRetries++;
        a = await send({ ip: opts.ip, port, host: opts.host, method: 'GET', path, agent, timeoutMs });
      }
      if ('error' in a) bump(r.readErrors, a.error);
      else if (a.status >= 200 && a.status < 300) r.readOk++;
      else bump(r.readNon2xx, a.status);
      if (opts.readEveryMs) await new Promise((res) => setTimeout(res, opts.readEveryMs));
    }
    agent.destroy();
  };
  const writer = async () => {
    let n = 0;
    while (!stopping) {
      const path = `/rows?p=w${++n}`;
      let firstHeld: number | undefined;
      for (;;) {
        r.writes++;
        const sent = Date.now();
        const a = await send({ ip: opts.ip, port, host: opts.host, method: 'POST', path, agent: false, timeoutMs });
        r.longestWriteMs = Math.max(r.longestWriteMs, Date.now() - sent);
        if ('error' in a) {
          bump(r.writeErrors, a.error);
          break;
        }
        if (a.status === 503 && a.retryAfter !== undefined) {
          r.held++;
          firstHeld ??= Date.now();
          await new Promise((res) => setTimeout(res, 100));
          continue;
        }
        if (a.status === 201) {
          r.acked.push(Number((JSON.parse(a.body) as { id: number }).id));
          if (firstHeld !== undefined) r.longestPauseMs = Math.max(r.longestPauseMs, Date.now() - firstHeld);
        } else bump(r.writeNon2xx, a.status);
        break;
      }
      if (opts.writeEveryMs) await new Promise((res) => setTimeout(res, opts.writeEveryMs));
    }
  };
  const loops = [...Array.from({ length: opts.connections ?? 4 }, reader), ...(opts.writes === false ? [] : [writer()])];
  return {
    snapshot: () => structuredClone(r),
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      return r;
    },
  };
}

/** Failures in a report: any read or write that is neither 2xx nor a declared 503 pause. */
export function failuresOf(r: MoveLoadReport): number {
  const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);
  return sum(r.readNon2xx) + sum(r.readErrors) + sum(r.writeNon2xx) + sum(r.writeErrors);
}

export function loadSummary(r: MoveLoadReport): string {
  return `reads ${r.reads} (ok ${r.readOk}, non-2xx ${JSON.stringify(r.readNon2xx)}, errors ${JSON.stringify(r.readErrors)}, idle-close retries ${r.idleCloseRetries}); writes acked ${r.acked.length}, held (503 Retry-After) ${r.held}, non-2xx ${JSON.stringify(r.writeNon2xx)}, errors ${JSON.stringify(r.writeErrors)}; longest write pause ${r.longestPauseMs} ms; longest write ${r.longestWriteMs} ms`;
}
