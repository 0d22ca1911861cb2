// The fleet runtime: opens what a workflow needs on the servers it touches — one connection per
// server, the stored Redis allocations, the desired state computed with them, and a ServerRun per
// server. The CLI and the HTTP server both start here; nothing in it knows either.
import type { Fleet } from '../config/fleet.ts';
import { defaultConnector, type ServerConnection } from '../engine/connect.ts';
import { desire } from '../plan/desire/desire.ts';
import type { DesiredState, RedisDbSpec } from '../plan/desire/desired.ts';
import { loadRedisAllocations } from './redis-allocations.ts';
import { createReporter, type Reporter } from './reporter.ts';
import { serverRun, type ServerRun } from './server-run.ts';
import { SecretFiles } from './secrets-file.ts';
import { StateStore } from './state-store.ts';
import { UserError } from '../diag/errors.ts';
import { settleLimit } from '../util/map-limit.ts';

/** How many servers one command works on at the same time. */
export const MAX_PARALLEL = 4;
import type { Connector } from '../engine/connection.ts';
import type { Output } from '../util/output.ts';

/** What a session needs from its caller: where progress goes (null: silent), a clock, how to reach servers. */
export interface SessionIO {
  stderr: Output;
  now: () => number;
  /** Default: the local socket or SSH, per server. Tests inject a harness connector. */
  connector?: Connector;
  /** Where the age identity for the encrypted secrets files may come from (SLIPWAY_AGE_KEY…), and relative paths' base. */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface FleetSession {
  fleet: Fleet;
  desired: DesiredState;
  runs: Map<string, ServerRun>;
  report: Reporter;
  /** Servers that could not be reached (only with `partial: true`; otherwise that throws). */
  failures: { server: string; error: string; hint?: string }[];
  /** Every open connection, including servers that run nothing of the fleet. */
  connections: ServerConnection[];
  close(): Promise<void>;
}

export async function openSession(
  ctx: SessionIO,
  fleet: Fleet,
  servers: readonly string[],
  opts: { json?: boolean; partial?: boolean; identity?: string },
): Promise<FleetSession> {
  const report = createReporter(opts.json ? null : ctx.stderr, ctx.now);
  const connector = ctx.connector ?? defaultConnector;
  const conns: ServerConnection[] = [];
  const close = async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  };
  try {
    const wanted = fleet.servers.filter((s) => servers.includes(s.name));
    const results = await settleLimit(wanted, MAX_PARALLEL, (s) => connector(s));
    for (const r of results) if (r.ok) conns.push(r.value);
    const failures = results.flatMap((r, i) =>
      r.ok ? [] : [{ server: wanted[i]!.name, error: (r.error as Error).message, hint: (r.error as { hint?: string }).hint }],
    );
    const failed = failures.map((f) => `${f.server}: ${f.error}`);
    if (failed.length && !opts.partial)
      throw new UserError(
        `cannot connect to ${failed.length} server(s):\n  ${failed.join('\n  ')}`,
        (results.find((r) => !r.ok) as { error: { hint?: string } } | undefined)?.error.hint ?? 'check that the server is up and reachable over SSH',
      );
    const allocations: RedisDbSpec[] = [];
    if (fleet.services.some((s) => s.kind === 'redis')) {
      for (const c of conns) allocations.push(...(await loadRedisAllocations(new StateStore(c.engine, fleet.project))));
    }
    const desired = desire(fleet, { redisAllocations: allocations });
    const runs = new Map<string, ServerRun>();
    // One reader of the repository's secrets files for the whole command: each file is decrypted once, when first needed.
    const secretFiles = new SecretFiles(fleet, { env: ctx.env ?? {}, cwd: ctx.cwd ?? process.cwd(), identityFile: opts.identity });
    // With several servers at once, each one's progress lines carry its name.
    const many = conns.length > 1;
    for (const c of conns) {
      const r = many ? createReporter(opts.json ? null : ctx.stderr, ctx.now, `[${c.server.name}] `) : report;
      if (desired.servers.some((s) => s.server === c.server.name)) runs.set(c.server.name, { ...serverRun(fleet, desired, c, r, ctx.now), secretFiles });
    }
    return { fleet, desired, runs, report, failures, connections: conns, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export function runFor(session: FleetSession, server: string): ServerRun {
  const run = session.runs.get(server);
  if (!run) throw new UserError(`server ${server} has nothing to run for this fleet`, 'check the environments placed on it in slipway.yaml');
  return run;
}

/** Opens a session, runs `fn`, and always closes the connections. */
export async function withSession<T>(
  ctx: SessionIO,
  fleet: Fleet,
  servers: readonly string[],
  opts: { json?: boolean; partial?: boolean; identity?: string },
  fn: (s: FleetSession) => Promise<T>,
): Promise<T> {
  const session = await openSession(ctx, fleet, servers, opts);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
