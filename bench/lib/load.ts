// bench/lib/load.ts — a wrk-like HTTP/1.1 load generator used by integration tests and benchmarks
// to prove zero-downtime deploys. Each of N connections is its own loop over one persistent raw TCP
// socket: requests go back-to-back, one at a time, with no automatic retries. When the server
// closes a connection it counts as a read error only if a request was in flight (written, response
// not complete); the loop then reconnects. A close noticed between a response and the next request
// (one event-loop turn later) is an idle close, e.g. nginx dropping idle keep-alive connections on
// reload, and is not an error.
//   npx tsx bench/lib/load.ts --url http://127.0.0.1:8080/ --host x.localhost -c 20 -d 10
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { LatencyHistogram, type LatencySummary } from './stats.ts';

export interface LoadOptions {
  url: string;
  /** Host header (e.g. aletheia.localhost); defaults to the URL's host. */
  host?: string;
  /** Concurrent connections, each with at most one socket and one request at a time. Default 20. */
  connections?: number;
  /** Reuse each socket for many requests (default). false sends `Connection: close` and opens a socket per request. */
  keepAlive?: boolean;
  headers?: Record<string, string>;
  /** Checked against every 2xx body; a false result counts as a body mismatch. */
  expectBody?: (body: string) => boolean;
  /** Per-request (and per-connect) timeout. Default 5000 ms. */
  timeoutMs?: number;
  /** Pause before reconnecting after a connect error, so a down port is not hammered. Default 10 ms. */
  reconnectDelayMs?: number;
  /**
   * Send a request again, once, on a new socket when a reused keep-alive socket closes before any
   * byte of its response arrived: what browsers, curl and Go's client do (RFC 9112 §9.3.1), since
   * a server may close an idle connection just as the next request is sent (nginx does on every
   * reload). Counted in `idleCloseRetries`; a retry that fails counts as usual. Default false.
   */
  retryIdleClose?: boolean;
}

export interface LoadReport {
  /** Requests with an outcome: ok2xx + Σ non2xx + readErrors + timeouts. */
  requests: number;
  ok2xx: number;
  /** status → count, for every response outside 200–299. */
  non2xx: Record<number, number>;
  connectErrors: number;
  /** Socket reset/closed (or unparseable response) while a request was in flight. */
  readErrors: number;
  timeouts: number;
  /** 2xx responses whose body failed `expectBody`. */
  bodyMismatches: number;
  durationMs: number;
  rps: number;
  /** Over all responses (any status); read errors and timeouts are not included. */
  latencyMs: LatencySummary;
  /** Count per distinct body prefix (first 80 chars) over all responses; at most 50 prefixes, the rest under OTHER_BODIES. */
  bodies: Record<string, number>;
  /** Sockets successfully opened (20 for a clean keep-alive run with 20 connections). */
  socketsOpened: number;
  /** Requests sent again after a reused socket closed before any response byte (`retryIdleClose`). */
  idleCloseRetries: number;
}

export interface LoadRun {
  /** Stops issuing requests, waits for in-flight ones (bounded by the timeout), closes sockets. Idempotent. */
  stop(): Promise<LoadReport>;
  snapshot(): LoadReport;
}

export const OTHER_BODIES = '(other bodies)';
const BODY_PREFIX_CHARS = 80;
const MAX_DISTINCT_BODIES = 50;
/** Bytes of body kept when no expectBody is given: enough for 80 characters of UTF-8. */
const BODY_KEEP_BYTES = BODY_PREFIX_CHARS * 4;
const MAX_HEAD_BYTES = 64 * 1024;

interface Tally {
  requests: number;
  ok2xx: number;
  non2xx: Map<number, number>;
  connectErrors: number;
  readErrors: number;
  timeouts: number;
  bodyMismatches: number;
  bodies: Map<string, number>;
  socketsOpened: number;
  idleCloseRetries: number;
  latency: LatencyHistogram;
}

interface Target {
  hostname: string;
  port: number;
  request: Buffer;
  keepAlive: boolean;
  expectBody: ((body: string) => boolean) | undefined;
  timeoutMs: number;
  reconnectDelayMs: number;
  retryIdleClose: boolean;
}

export function startLoad(opts: LoadOptions): LoadRun {
  const target = resolveTarget(opts);
  const connections = opts.connections ?? 20;
  if (!Number.isInteger(connections) || connections < 1) throw new Error(`connections must be a positive integer, got ${connections}`);
  const tally: Tally = {
    requests: 0,
    ok2xx: 0,
    non2xx: new Map(),
    connectErrors: 0,
    readErrors: 0,
    timeouts: 0,
    bodyMismatches: 0,
    bodies: new Map(),
    socketsOpened: 0,
    idleCloseRetries: 0,
    latency: new LatencyHistogram(),
  };
  const started = performance.now();
  let stoppedAt: number | null = null;
  const run: RunState = { target, tally, stopping: false };
  const loops = Array.from({ length: connections }, () => new ConnectionLoop(run));
  for (const loop of loops) loop.start();

  const snapshot = (): LoadReport => report(tally, (stoppedAt ?? performance.now()) - started);
  let stopped: Promise<LoadReport> | null = null;
  return {
    snapshot,
    stop() {
      stopped ??= (async () => {
        run.stopping = true;
        await Promise.all(loops.map((loop) => loop.stop()));
        stoppedAt = performance.now();
        return snapshot();
      })();
      return stopped;
    },
  };
}

function resolveTarget(opts: LoadOptions): Target {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new Error(`invalid url: ${opts.url}`);
  }
  if (url.protocol !== 'http:') throw new Error(`only http:// URLs are supported, got ${url.protocol}//`);
  const keepAlive = opts.keepAlive ?? true;
  const headers = new Map<string, [string, string]>();
  const set = (name: string, value: string): void => {
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new Error(`header ${JSON.stringify(name)} contains a line break`);
    headers.set(name.toLowerCase(), [name, value]);
  };
  set('Host', url.host);
  set('User-Agent', 'slipway-load');
  set('Accept', '*/*');
  for (const [name, value] of Object.entries(opts.headers ?? {})) set(name, value);
  if (opts.host !== undefined) set('Host', opts.host);
  if (!keepAlive) set('Connection', 'close');
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, ...[...headers.values()].map(([n, v]) => `${n}: ${v}`)];
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 80,
    request: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'),
    keepAlive,
    expectBody: opts.expectBody,
    timeoutMs: opts.timeoutMs ?? 5000,
    reconnectDelayMs: opts.reconnectDelayMs ?? 10,
    retryIdleClose: opts.retryIdleClose ?? false,
  };
}

function report(t: Tally, durationMs: number): LoadReport {
  return {
    requests: t.requests,
    ok2xx: t.ok2xx,
    non2xx: Object.fromEntries([...t.non2xx].sort((a, b) => a[0] - b[0])),
    connectErrors: t.connectErrors,
    readErrors: t.readErrors,
    timeouts: t.timeouts,
    bodyMismatches: t.bodyMismatches,
    durationMs: Math.round(durationMs),
    rps: durationMs > 0 ? Math.round((t.requests / durationMs) * 1000 * 10) / 10 : 0,
    latencyMs: t.latency.summary(),
    bodies: Object.fromEntries(t.bodies),
    socketsOpened: t.socketsOpened,
    idleCloseRetries: t.idleCloseRetries,
  };
}

// ---------------------------------------------------------------------------------------------
// One connection loop.

interface RunState {
  target: Target;
  tally: Tally;
  stopping: boolean;
}

interface InFlight {
  started: number;
  timer: NodeJS.Timeout;
}

class ConnectionLoop {
  private socket: net.Socket | null = null;
  /** Bumped whenever the current socket is abandoned; events from older sockets are ignored. */
  private generation = 0;
  private connected = false;
  private parser = new ResponseParser(0);
  private inFlight: InFlight | null = null;
  /** Responses completed on the current socket (> 0: the socket is a reused keep-alive one). */
  private responsesOnSocket = 0;
  /** Bytes received since the in-flight request was sent. */
  private bytesSinceSend = 0;
  private connectTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private finished = false;
  private onFinished: (() => void) | null = null;

  constructor(private readonly run: RunState) {}

  start(): void {
    this.connect();
  }

  /** Resolves once no request is in flight and the socket is closed. */
  stop(): Promise<void> {
    if (!this.inFlight) this.finish();
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => {
      this.onFinished = resolve;
    });
  }

  private connect(): void {
    if (this.run.stopping) return this.finish();
    const { target } = this.run;
    const gen = ++this.generation;
    this.connected = false;
    this.responsesOnSocket = 0;
    this.parser = new ResponseParser(target.expectBody ? Infinity : BODY_KEEP_BYTES);
    const socket = net.connect({ host: target.hostname, port: target.port });
    this.socket = socket;
    socket.setNoDelay(true);
    this.connectTimer = setTimeout(() => this.onClosed(gen, true), target.timeoutMs);
    socket.on('connect', () => {
      if (gen !== this.generation) return;
      this.clearConnectTimer();
      this.connected = true;
      this.run.tally.socketsOpened++;
      this.send();
    });
    socket.on('data', (chunk: Buffer) => this.onData(gen, chunk));
    socket.on('end', () => this.onClosed(gen, false));
    socket.on('error', () => this.onClosed(gen, true));
    socket.on('close', () => this.onClosed(gen, true));
  }

  private send(): void {
    const socket = this.socket;
    if (this.run.stopping || !socket) return this.finish();
    const started = performance.now();
    const gen = this.generation;
    this.inFlight = { started, timer: setTimeout(() => this.onTimeout(gen), this.run.target.timeoutMs) };
    this.bytesSinceSend = 0;
    socket.write(this.run.target.request);
  }

  private onData(gen: number, chunk: Buffer): void {
    if (gen !== this.generation) return;
    this.bytesSinceSend += chunk.length;
    let responses: ParsedResponse[];
    try {
      responses = this.parser.feed(chunk);
    } catch {
      // An unparseable response: the connection is unusable.
      return this.onClosed(gen, true);
    }
    for (const response of responses) {
      if (!this.inFlight) return this.onClosed(gen, true); // a response nobody asked for
      this.complete(response);
      this.responsesOnSocket++;
      if (response.close || !this.run.target.keepAlive) {
        this.abandonSocket();
        return this.next(() => this.connect());
      }
      // Give a close that arrived together with the response one event-loop turn to be noticed
      // before the next request goes out, so an idle close is not mistaken for a failed request.
      this.next(() => {
        if (gen === this.generation) this.send();
      });
    }
  }

  /** EOF, socket error, close or connect timeout on socket `gen`. */
  private onClosed(gen: number, abrupt: boolean): void {
    if (gen !== this.generation) return;
    const { tally } = this.run;
    if (!this.connected) {
      if (!this.run.stopping) tally.connectErrors++;
      this.abandonSocket();
      if (this.run.stopping) return this.finish();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.connect();
      }, this.run.target.reconnectDelayMs);
      return;
    }
    if (this.inFlight && this.run.target.retryIdleClose && this.responsesOnSocket > 0 && this.bytesSinceSend === 0) {
      // The server closed the reused socket before answering: send the request again on a new one.
      this.clearInFlight();
      tally.idleCloseRetries++;
    } else if (this.inFlight) {
      const last = abrupt ? null : this.parser.end();
      if (last) this.complete(last);
      else {
        this.clearInFlight();
        tally.requests++;
        tally.readErrors++;
      }
    }
    this.abandonSocket();
    this.next(() => this.connect());
  }

  private onTimeout(gen: number): void {
    if (gen !== this.generation || !this.inFlight) return;
    this.clearInFlight();
    this.run.tally.requests++;
    this.run.tally.timeouts++;
    this.abandonSocket();
    this.next(() => this.connect());
  }

  private complete(response: ParsedResponse): void {
    const { tally, target } = this.run;
    const inFlight = this.inFlight;
    if (!inFlight) return;
    this.clearInFlight();
    tally.requests++;
    tally.latency.record(performance.now() - inFlight.started);
    const ok = response.status >= 200 && response.status < 300;
    if (ok) tally.ok2xx++;
    else tally.non2xx.set(response.status, (tally.non2xx.get(response.status) ?? 0) + 1);
    const body = response.body.toString('utf8');
    if (ok && target.expectBody && !target.expectBody(body)) tally.bodyMismatches++;
    let key = body.slice(0, BODY_PREFIX_CHARS);
    if (!tally.bodies.has(key) && tally.bodies.size >= MAX_DISTINCT_BODIES) key = OTHER_BODIES;
    tally.bodies.set(key, (tally.bodies.get(key) ?? 0) + 1);
  }

  /** Runs `step` two event-loop turns from now, or finishes if the run is stopping by then. */
  private next(step: () => void): void {
    setImmediate(() =>
      setImmediate(() => {
        if (this.finished) return;
        if (this.run.stopping && !this.inFlight) return this.finish();
        step();
      }),
    );
  }

  private clearInFlight(): void {
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private abandonSocket(): void {
    this.generation++;
    this.clearConnectTimer();
    this.connected = false;
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.clearInFlight();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.abandonSocket();
    this.onFinished?.();
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal incremental HTTP/1.x response parser: Content-Length, chunked and read-until-close
// bodies, 1xx responses skipped, 204/304 without body.

interface ParsedResponse {
  status: number;
  body: Buffer;
  /** The server will close the connection after this response. */
  close: boolean;
}

type Phase = 'head' | 'fixed' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close';

class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private phase: Phase = 'head';
  private status = 0;
  private close = false;
  private remaining = 0;
  private body: Buffer[] = [];
  private kept = 0;

  constructor(private readonly keepBytes: number) {}

  /** Feeds bytes; returns the responses they complete. Throws on malformed input. */
  feed(chunk: Buffer): ParsedResponse[] {
    this.buf = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: ParsedResponse[] = [];
    for (;;) {
      switch (this.phase) {
        case 'head': {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (this.buf.length > MAX_HEAD_BYTES) throw new Error('response head too large');
            return out;
          }
          const head = this.buf.subarray(0, end).toString('latin1');
          this.buf = this.buf.subarray(end + 4);
          const done = this.parseHead(head);
          if (done) out.push(done);
          break;
        }
        case 'fixed':
        case 'chunk-data': {
          const take = Math.min(this.remaining, this.buf.length);
          this.keep(this.buf.subarray(0, take));
          this.buf = this.buf.subarray(take);
          this.remaining -= take;
          if (this.remaining > 0) return out;
          if (this.phase === 'fixed') out.push(this.finish());
          else this.phase = 'chunk-crlf';
          break;
        }
        case 'chunk-size': {
          const line = this.takeLine();
          if (line === null) return out;
          const size = Number.parseInt(line.split(';')[0]?.trim() ?? '', 16);
          if (!Number.isFinite(size) || size < 0) throw new Error(`bad chunk size ${JSON.stringify(line)}`);
          if (size === 0) this.phase = 'trailers';
          else {
            this.remaining = size;
            this.phase = 'chunk-data';
          }
          break;
        }
        case 'chunk-crlf': {
          if (this.buf.length < 2) return out;
          if (this.buf[0] !== 13 || this.buf[1] !== 10) throw new Error('missing CRLF after chunk');
          this.buf = this.buf.subarray(2);
          this.phase = 'chunk-size';
          break;
        }
        case 'trailers': {
          const line = this.takeLine();
          if (line === null) return out;
          if (line === '') out.push(this.finish());
          break;
        }
        case 'until-close': {
          this.keep(this.buf);
          this.buf = Buffer.alloc(0);
          return out;
        }
      }
    }
  }

  /** The server closed the connection cleanly: completes a read-until-close body, else null. */
  end(): ParsedResponse | null {
    return this.phase === 'until-close' ? this.finish() : null;
  }

  private parseHead(head: string): ParsedResponse | null {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[2]);
    let contentLength: number | null = null;
    let chunked = false;
    const connection = new Set<string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding')
        chunked = value
          .toLowerCase()
          .split(',')
          .some((t) => t.trim() === 'chunked');
      else if (name === 'connection') for (const t of value.toLowerCase().split(',')) connection.add(t.trim());
    }
    if (status >= 100 && status < 200) return null; // interim response; the real one follows
    this.status = status;
    this.close = m[1] === '0' ? !connection.has('keep-alive') : connection.has('close');
    this.body = [];
    this.kept = 0;
    if (status === 204 || status === 304) return this.finish();
    if (chunked) this.phase = 'chunk-size';
    else if (contentLength !== null) {
      if (!Number.isInteger(contentLength) || contentLength < 0) throw new Error('bad content-length');
      if (contentLength === 0) return this.finish();
      this.remaining = contentLength;
      this.phase = 'fixed';
    } else {
      this.close = true;
      this.phase = 'until-close';
    }
    return null;
  }

  private takeLine(): string | null {
    const end = this.buf.indexOf('\r\n');
    if (end < 0) {
      if (this.buf.length > MAX_HEAD_BYTES) throw new Error('line too long');
      return null;
    }
    const line = this.buf.subarray(0, end).toString('latin1');
    this.buf = this.buf.subarray(end + 2);
    return line;
  }

  private keep(bytes: Buffer): void {
    if (this.kept >= this.keepBytes || bytes.length === 0) return;
    const part = bytes.subarray(0, Math.min(bytes.length, this.keepBytes - this.kept));
    this.body.push(Buffer.from(part)); // copy: do not pin the socket's chunk
    this.kept += part.length;
  }

  private finish(): ParsedResponse {
    const response = { status: this.status, body: Buffer.concat(this.body), close: this.close };
    this.phase = 'head';
    this.body = [];
    this.kept = 0;
    return response;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI.

const USAGE = `usage: npx tsx bench/lib/load.ts --url URL [--host HOST] [-c CONNECTIONS] [-d SECONDS]
                                 [--no-keepalive] [-H 'Name: value']... [--expect TEXT] [--timeout MS]`;

async function main(argv: string[]): Promise<number> {
  const opts: LoadOptions = { url: '' };
  let seconds = 10;
  const headers: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const number = (): number => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} needs a positive number, got ${raw}`);
      return n;
    };
    switch (flag) {
      case '--url':
        opts.url = value();
        break;
      case '--host':
        opts.host = value();
        break;
      case '-c':
      case '--connections':
        opts.connections = Math.floor(number());
        break;
      case '-d':
      case '--duration':
        seconds = number();
        break;
      case '--timeout':
        opts.timeoutMs = number();
        break;
      case '--no-keepalive':
        opts.keepAlive = false;
        break;
      case '-H':
      case '--header': {
        const raw = value();
        const colon = raw.indexOf(':');
        if (colon <= 0) throw new UsageError(`-H needs 'Name: value', got ${raw}`);
        headers[raw.slice(0, colon).trim()] = raw.slice(colon + 1).trim();
        break;
      }
      case '--expect': {
        const text = value();
        opts.expectBody = (body) => body.includes(text);
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(`unknown argument ${flag}`);
    }
  }
  if (!opts.url) throw new UsageError('--url is required');
  opts.headers = headers;
  const run = startLoad(opts);
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    process.once('SIGINT', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await done;
  const result = await run.stop();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return 0;
}

class UsageError extends Error {}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    },
  );
}
