// Opens what a command needs on the servers it touches: one connection per server, the stored
// Redis allocations, the desired state computed with them, and a ServerRun per server.
import type { Fleet } from '../config/fleet.ts';
import { defaultConnector, type ServerConnection } from '../engine/connect.ts';
import { desire } from '../plan/desire.ts';
import type { DesiredState, RedisDbSpec } from '../plan/desired.ts';
import { loadRedisAllocations } from '../workflows/redis-allocations.ts';
import { createReporter, type Reporter } from '../workflows/reporter.ts';
import { serverRun, type ServerRun } from '../workflows/server-run.ts';
import { StateStore } from '../workflows/state-store.ts';
import { UserError } from '../diag/errors.ts';
import type { CliContext } from './context.ts';

export interface FleetSession {
  fleet: Fleet;
  desired: DesiredState;
  runs: Map<string, ServerRun>;
  report: Reporter;
  close(): Promise<void>;
}

export async function openSession(ctx: CliContext, fleet: Fleet, servers: readonly string[], opts: { json?: boolean }): Promise<FleetSession> {
  const report = createReporter(opts.json ? null : ctx.stderr, ctx.now);
  const connector = ctx.connector ?? defaultConnector;
  const conns: ServerConnection[] = [];
  const close = async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  };
  try {
    const wanted = fleet.servers.filter((s) => servers.includes(s.name));
    conns.push(...(await Promise.all(wanted.map((s) => connector(s)))));
    const allocations: RedisDbSpec[] = [];
    for (const c of conns) allocations.push(...(await loadRedisAllocations(new StateStore(c.engine, fleet.project))));
    const desired = desire(fleet, { redisAllocations: allocations });
    const runs = new Map<string, ServerRun>();
    for (const c of conns) {
      if (desired.servers.some((s) => s.server === c.server.name)) runs.set(c.server.name, serverRun(fleet, desired, c, report, ctx.now));
    }
    return { fleet, desired, runs, report, close };
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
