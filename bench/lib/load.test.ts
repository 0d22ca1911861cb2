// bench/lib/load.test.ts — the load generator against local HTTP servers on 127.0.0.1 (random
// ports): exact status counts, idle closes vs mid-response closes, connection refused, body
// histogram, latency percentiles, socket reuse, timeouts and stop() semantics.
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startLoad, type LoadReport } from './load.ts';

interface TestServer {
  url: string;
  /** Connections accepted in total, and the most open at once. */
  connections: () => { total: number; maxOpen: number };
  close: () => Promise<void>;
}

const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, handler);
  let total = 0;
  let open = 0;
  let maxOpen = 0;
  server.on('connection', (socket) => {
    total++;
    open++;
    maxOpen = Math.max(maxOpen, open);
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const s: TestServer = {
    url: `http://127.0.0.1:${port}/`,
    connections: () => ({ total, maxOpen }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runFor(ms: number, opts: Parameters<typeof startLoad>[0]): Promise<LoadReport> {
  const run = startLoad(opts);
  await sleep(ms);
  return run.stop();
}

function outcomes(r: LoadReport): number {
  return r.ok2xx + Object.values(r.non2xx).reduce((a, b) => a + b, 0) + r.readErrors + r.timeouts;
}

describe('startLoad', () => {
  it('counts 2xx and non-2xx exactly, sends the Host header and extra headers', async () => {
    const sent = new Map<number, number>();
    const seen = { hosts: new Set<string | undefined>(), tokens: new Set<string | undefined>() };
    let n = 0;
    const server = await serve((req, res) => {
      seen.hosts.add(req.headers.host);
      seen.tokens.add(req.headers['x-token'] as string | undefined);
      n++;
      const status = n % 5 === 0 ? 503 : n % 7 === 0 ? 404 : n % 11 === 0 ? 204 : 200;
      sent.set(status, (sent.get(status) ?? 0) + 1);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 204 ? undefined : `status ${status}`);
    });
    const r = await runFor(400, { url: server.url, host: 'aletheia.localhost', connections: 8, headers: { 'X-Token': 'abc' } });
    expect(r.requests).toBe(n);
    expect(r.requests).toBeGreaterThan(100);
    expect(r.ok2xx).toBe((sent.get(200) ?? 0) + (sent.get(204) ?? 0));
    expect(r.non2xx).toEqual({ 404: sent.get(404), 503: sent.get(503) });
    expect(r.readErrors + r.connectErrors + r.timeouts + r.bodyMismatches).toBe(0);
    expect(outcomes(r)).toBe(r.requests);
    expect([...seen.hosts]).toEqual(['aletheia.localhost']);
    expect([...seen.tokens]).toEqual(['abc']);
    expect(r.rps).toBeGreaterThan(0);
    expect(r.durationMs).toBeGreaterThanOrEqual(400);
  });

  it('20 connections use at most 20 sockets, each reused for many requests', async () => {
    const server = await serve((_req, res) => res.end('ok'));
    const r = await runFor(400, { url: server.url, connections: 20 });
    const c = server.connections();
    expect(c.total).toBe(20);
    expect(c.maxOpen).toBeLessThanOrEqual(20);
    expect(r.socketsOpened).toBe(20);
    expect(r.requests).toBeGreaterThan(200);
    expect(r.ok2xx).toBe(r.requests);
  });

  it('a server closing idle keep-alive sockets between requests causes no read errors', async () => {
    let n = 0;
    let closedIdle = 0;
    const server = await serve((req, res) => {
      n++;
      // Every 4th response: close the socket once the response is written, while the client has
      // no request in flight (what nginx does to idle keep-alive connections on reload).
      if (n % 4 === 0) {
        res.on('finish', () => {
          closedIdle++;
          req.socket.destroy();
        });
      }
      res.end(`hello ${n}`);
    });
    const r = await runFor(400, { url: server.url, connections: 10 });
    expect(closedIdle).toBeGreaterThan(20);
    expect(r.readErrors).toBe(0);
    expect(r.ok2xx).toBe(r.requests);
    expect(r.requests).toBe(n);
    expect(server.connections().total).toBeGreaterThan(10 + closedIdle / 2); // it reconnected and went on
  });

  it('a server destroying sockets mid-response (or before answering) causes read errors, one per request', async () => {
    let n = 0;
    let killed = 0;
    const server = await serve((req, res) => {
      n++;
      if (n % 10 === 0) {
        killed++;
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 2);
      } else if (n % 10 === 5) {
        killed++;
        req.socket.destroy();
      } else res.end('fine');
    });
    const r = await runFor(400, { url: server.url, connections: 5 });
    expect(killed).toBeGreaterThan(5);
    expect(r.readErrors).toBe(killed);
    expect(r.ok2xx).toBe(n - killed);
    expect(outcomes(r)).toBe(r.requests);
    expect(r.requests).toBe(n);
  });

  it('retryIdleClose sends a request again when a reused socket closes before answering, not a mid-response close', async () => {
    // Every socket answers its first two requests, then closes on the third without a byte (an
    // idle close racing the next request); every 7th request overall dies mid-response.
    const perSocket = new WeakMap<object, number>();
    let n = 0;
    let silent = 0;
    let partial = 0;
    const server = await serve((req, res) => {
      n++;
      const k = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, k);
      if (k === 3) {
        silent++;
        req.socket.destroy();
      } else if (n % 7 === 0) {
        partial++;
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 2);
      } else res.end('fine');
    });
    const strict = await runFor(300, { url: server.url, connections: 4 });
    expect(strict.idleCloseRetries).toBe(0);
    expect(strict.readErrors).toBeGreaterThan(0);
    silent = 0;
    partial = 0;
    n = 0;
    const r = await runFor(400, { url: server.url, connections: 4, retryIdleClose: true });
    expect(silent).toBeGreaterThan(3);
    expect(r.idleCloseRetries).toBe(silent);
    expect(r.readErrors).toBe(partial);
    expect(r.ok2xx).toBe(n - silent - partial);
    expect(outcomes(r)).toBe(r.requests);
  });

  it('counts connect errors when the port refuses connections', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await runFor(200, { url: `http://127.0.0.1:${port}/`, connections: 3 });
    expect(r.connectErrors).toBeGreaterThanOrEqual(3);
    expect(r.connectErrors).toBeLessThan(3 * 40); // a short pause between attempts, not a busy loop
    expect(r.requests).toBe(0);
    expect(r.socketsOpened).toBe(0);
  });

  it('shows both bodies when the server switches its answer mid-run, and counts body mismatches', async () => {
    let release = 'v1';
    const server = await serve((_req, res) => {
      // No content-length: Node answers chunked, which exercises the chunked decoder.
      res.write(`release ${release} `);
      res.end('x'.repeat(200));
    });
    const run = startLoad({ url: server.url, connections: 4, expectBody: (b) => b.startsWith('release v1 ') });
    await sleep(200);
    release = 'v2';
    await sleep(200);
    const r = await run.stop();
    const keys = Object.keys(r.bodies);
    const v1 = `release v1 ${'x'.repeat(69)}`;
    const v2 = `release v2 ${'x'.repeat(69)}`;
    expect(keys.sort()).toEqual([v1, v2]);
    expect(v1.length).toBe(80);
    expect((r.bodies[v1] ?? 0) + (r.bodies[v2] ?? 0)).toBe(r.ok2xx);
    expect(r.bodyMismatches).toBe(r.bodies[v2]);
    expect(r.bodyMismatches).toBeGreaterThan(0);
    expect(r.readErrors).toBe(0);
  });

  it('reports sane latency percentiles', async () => {
    const server = await serve((_req, res) => {
      setTimeout(() => res.end('slow'), 20);
    });
    const r = await runFor(500, { url: server.url, connections: 4 });
    expect(r.requests).toBeGreaterThan(20);
    const { p50, p95, p99, max } = r.latencyMs;
    expect(p50).toBeGreaterThanOrEqual(19);
    expect(p50).toBeLessThan(100);
    expect(p95).toBeGreaterThanOrEqual(p50);
    expect(p99).toBeGreaterThanOrEqual(p95);
    expect(max).toBeGreaterThanOrEqual(p99);
    expect(max).toBeLessThan(1000);
  });

  it('counts timeouts and reconnects after one', async () => {
    let n = 0;
    const server = await serve((_req, res) => {
      n++;
      if (n % 3 !== 0) res.end('ok'); // every 3rd request never gets an answer
    });
    const r = await runFor(400, { url: server.url, connections: 2, timeoutMs: 50 });
    expect(r.timeouts).toBeGreaterThan(2);
    expect(r.ok2xx).toBeGreaterThan(2);
    expect(r.readErrors).toBe(0);
    expect(outcomes(r)).toBe(r.requests);
  });

  it('without keep-alive opens one socket per request and sends Connection: close', async () => {
    const connectionHeaders = new Set<string | undefined>();
    const server = await serve((req, res) => {
      connectionHeaders.add(req.headers.connection);
      res.end('bye');
    });
    const r = await runFor(300, { url: server.url, connections: 4, keepAlive: false });
    expect(r.requests).toBeGreaterThan(20);
    expect(r.readErrors).toBe(0);
    expect(r.ok2xx).toBe(r.requests);
    // One socket per request, plus at most one per connection that was still connecting at stop().
    expect(server.connections().total).toBeGreaterThanOrEqual(r.requests);
    expect(server.connections().total).toBeLessThanOrEqual(r.requests + 4);
    expect(server.connections().maxOpen).toBeLessThanOrEqual(4 + 4); // closing sockets may linger a moment
    expect([...connectionHeaders]).toEqual(['close']);
  });

  it('reads bodies delimited by connection close (no content-length, HTTP/1.0 style)', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const r = await runFor(200, { url: `http://127.0.0.1:${port}/`, connections: 2 });
      expect(r.requests).toBeGreaterThan(5);
      expect(r.ok2xx).toBe(r.requests);
      expect(r.readErrors).toBe(0);
      expect(r.bodies).toEqual({ 'until close': r.requests });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('stop() waits for in-flight requests, then stops issuing; snapshot() works mid-run', async () => {
    let n = 0;
    const server = await serve((_req, res) => {
      n++;
      setTimeout(() => res.end('late'), 150);
    });
    const run = startLoad({ url: server.url, connections: 3 });
    await sleep(50);
    const mid = run.snapshot();
    expect(mid.requests).toBe(0);
    const r = await run.stop();
    expect(r.requests).toBe(3);
    expect(r.ok2xx).toBe(3);
    expect(n).toBe(3);
    expect(await run.stop()).toEqual(r);
    await sleep(50);
    expect(n).toBe(3);
    expect(run.snapshot()).toEqual(r);
  });
});
