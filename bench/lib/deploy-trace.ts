// bench/lib/deploy-trace.ts — one `slipway deploy` run in-process through the real CLI entry
// (main) with every Engine API call and health dial timed, and the reporter's step lines
// timestamped, so bench/deploy.ts can show where Slipway's time goes between and inside steps.
import { performance } from 'node:perf_hooks';
import { main } from '../../src/cli/main.ts';
import { processContext } from '../../src/cli/context.ts';
import { defaultConnector, type Connector } from '../../src/engine/connect.ts';
import type { DockerEngine } from '../../src/engine/docker-engine.ts';

export interface TraceEvent {
  /** ms since the start of main(). */
  at: number;
  ms: number;
  kind: 'engine' | 'dial' | 'step';
  what: string;
}

export interface TraceResult {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** performance.timeOrigin + performance.now() when main() was called. */
  startEpochMs: number;
  events: TraceEvent[];
}

export async function tracedDeploy(cwd: string, args: string[]): Promise<TraceResult> {
  const events: TraceEvent[] = [];
  let t0 = 0;
  const rel = () => performance.now() - t0;
  const connector: Connector = async (server) => {
    const conn = await defaultConnector(server);
    const engine = new Proxy(conn.engine, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function' || typeof prop !== 'string') return v;
        return async (...a: unknown[]) => {
          const at = rel();
          try {
            return await (v as (...x: unknown[]) => Promise<unknown>).apply(target, a);
          } finally {
            events.push({ at, ms: rel() - at, kind: 'engine', what: `${prop}(${describe(prop, a)})` });
          }
        };
      },
    }) as DockerEngine;
    const dialer = {
      dial: async (host: string, port: number, timeoutMs: number) => {
        const at = rel();
        try {
          return await conn.dialer.dial(host, port, timeoutMs);
        } finally {
          events.push({ at, ms: rel() - at, kind: 'dial', what: `dial ${host}:${port}` });
        }
      },
    };
    return { ...conn, engine, dialer };
  };
  let stdout = '';
  let stderr = '';
  const ctx = {
    ...processContext(),
    cwd,
    color: false,
    connector,
    stdout: { write: (t: string) => void (stdout += t) },
    stderr: {
      write: (t: string) => {
        stderr += t;
        for (const line of t.split('\n')) if (line.trim()) events.push({ at: rel(), ms: 0, kind: 'step', what: line.trim() });
      },
    },
  };
  t0 = performance.now();
  const code = await main(args, ctx);
  const wallMs = rel();
  events.sort((a, b) => a.at - b.at);
  return { code, stdout, stderr, wallMs, startEpochMs: performance.timeOrigin + t0, events };
}

function describe(op: string, a: unknown[]): string {
  const first = a[0];
  if (typeof first === 'string') {
    if (op === 'exec' && Array.isArray(a[1])) return `${short(first)}, ${(a[1] as string[]).slice(0, 2).join(' ')}`;
    if (op === 'getArchive' || op === 'putArchive') return `${short(first)}:${String(a[1])}`;
    return short(first);
  }
  if (first && typeof first === 'object' && 'name' in first) return short(String((first as { name: unknown }).name));
  if (first && typeof first === 'object')
    return Object.entries(first as Record<string, unknown>)
      .filter(([k]) => k !== 'slipway.project')
      .map(([k, v]) => `${k.replace('slipway.', '')}=${String(v)}`)
      .join(',');
  return '';
}

/** Container ids shortened; names kept. */
function short(s: string): string {
  return /^[0-9a-f]{64}$/.test(s) ? s.slice(0, 12) : s;
}
