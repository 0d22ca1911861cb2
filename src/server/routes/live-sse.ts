// Server-sent event responses of the live part (a job's steps, a process's logs), over Hono's
// streamSSE. Each stream has one abort signal, fired when the client goes (the response is
// cancelled or the request aborted) or serve stops (LiveStreams.closeAll), so the producer can
// unsubscribe and stop following. Writes are queued in order and bounded: a client that does not
// read loses lines (counted in a `dropped` event) rather than growing the server's memory.
// A comment line every `heartbeatMs` keeps proxies from closing a quiet stream.
import { streamSSE } from 'hono/streaming';
import type { ApiContext } from '../api-context.ts';

export interface SseSink {
  send(event: string, data: unknown): void;
}

/** The open streams: serve's stop ends them all (server.close waits for open connections). */
export class LiveStreams {
  readonly #open = new Set<AbortController>();

  get size(): number {
    return this.#open.size;
  }

  add(a: AbortController): () => void {
    this.#open.add(a);
    return () => void this.#open.delete(a);
  }

  closeAll(): void {
    for (const a of [...this.#open]) a.abort();
  }
}

export interface SseOptions {
  streams: LiveStreams;
  heartbeatMs: number;
  /** Messages waiting to be written beyond which new ones are dropped. */
  maxQueued?: number;
  log: (line: string) => void;
}

/** Answers with an event stream; `produce` writes through the sink and resolves when the stream should end. */
export function sseResponse(c: ApiContext, o: SseOptions, produce: (sink: SseSink, signal: AbortSignal) => Promise<void>): Response {
  if (c.req.method === 'HEAD') return sseHead(c);
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    const forget = o.streams.add(abort);
    const stop = () => abort.abort();
    stream.onAbort(stop);
    const request = c.req.raw.signal;
    request?.addEventListener('abort', stop, { once: true });
    if (request?.aborted) stop();
    const max = o.maxQueued ?? 1000;
    let queued = 0;
    let dropped = 0;
    let chain: Promise<unknown> = Promise.resolve();
    const enqueue = (write: () => Promise<unknown>) => {
      queued++;
      chain = chain.then(write).finally(() => queued--);
    };
    const sink: SseSink = {
      send(event, data) {
        if (abort.signal.aborted) return;
        if (queued >= max) {
          dropped++;
          return;
        }
        if (dropped > 0) {
          const n = dropped;
          dropped = 0;
          enqueue(() => stream.writeSSE({ event: 'dropped', data: JSON.stringify({ count: n }) }));
        }
        enqueue(() => stream.writeSSE({ event, data: JSON.stringify(data) }));
      },
    };
    const beat = setInterval(() => {
      if (!abort.signal.aborted && queued === 0) enqueue(() => stream.write(': keep-alive\n\n'));
    }, o.heartbeatMs);
    try {
      await produce(sink, abort.signal);
      // What was queued reaches the client before the stream ends (a write to a gone client fails at once).
      await Promise.race([chain, aborted(abort.signal)]);
    } catch (e) {
      o.log(`live stream ${c.req.path}: ${(e as Error)?.message ?? String(e)}`);
    } finally {
      clearInterval(beat);
      request?.removeEventListener('abort', stop);
      abort.abort();
      forget();
    }
  });
}

/**
 * A HEAD request's answer: an event stream's headers and nothing started. Hono answers HEAD with
 * the GET route's headers and drops its body without cancelling it, and the server never aborts
 * a request it has answered in full: a stream (or a log follow) started for HEAD would stay open
 * until serve stops.
 */
export function sseHead(c: ApiContext): Response {
  return c.body(null, 200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
