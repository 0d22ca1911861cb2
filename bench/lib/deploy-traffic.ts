// bench/lib/deploy-traffic.ts — traffic around one timed deploy in bench/deploy.ts: the load
// generator (20 keep-alive connections through the proxy, in a child process) and a watcher that
// polls the proxy with fresh connections until the body names the new release ("time to serving").
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadReport } from './load.ts';

const CHILD = join(import.meta.dirname, 'deploy-load-child.ts');

export interface LoadFailure {
  /** performance.timeOrigin + performance.now() in the load process (comparable across processes). */
  epochMs: number;
  kind: 'non2xx' | 'connect' | 'read' | 'timeout';
  count: number;
}

export interface LoadProcess {
  stop(): Promise<LoadReport & { failures: LoadFailure[] }>;
}

/** Starts the load in a child process; resolves once all its connections are open. */
export async function startLoadProcess(port: number, host: string, connections = 20): Promise<LoadProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, `http://127.0.0.1:${port}/`, host, String(connections)], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = performance.now() + 30_000;
  while (!out.includes('ready\n')) {
    if (child.exitCode !== null || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`load generator did not start: ${err.trim() || out.trim()}`);
    }
    await sleep(10);
  }
  return {
    async stop() {
      child.kill('SIGINT');
      const code = await closed;
      const lines = out.split('\n');
      const line = lines.find((l) => l.startsWith('{'));
      if (!line) throw new Error(`load generator exited ${code} without a report: ${err.trim()}`);
      const failures = lines
        .filter((l) => l.startsWith('fail '))
        .map((l) => {
          const [, epoch, kind, count] = l.split(' ');
          return { epochMs: Number(epoch), kind: kind as LoadFailure['kind'], count: Number(count) };
        });
      return { ...(JSON.parse(line) as LoadReport), failures };
    },
  };
}

/** One GET through the proxy on a fresh connection: the `release` the echo app answers with. */
export function servedRelease(port: number, host: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? String(JSON.parse(body).release) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export interface ServingWatch {
  /** performance.now() when a response first named a release other than `from`, and that release. */
  readonly seen: Promise<{ at: number; release: string }>;
  stop(): void;
}

/** Polls every `intervalMs` until the proxy serves a release other than `from`. */
export function watchServing(port: number, host: string, from: string, intervalMs = 20): ServingWatch {
  let stopped = false;
  const seen = (async () => {
    while (!stopped) {
      const r = await servedRelease(port, host);
      if (r !== undefined && r !== from) return { at: performance.now(), release: r };
      await sleep(intervalMs);
    }
    return { at: NaN, release: '' };
  })();
  return { seen, stop: () => void (stopped = true) };
}
