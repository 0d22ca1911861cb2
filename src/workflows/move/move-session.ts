// Both sides of a move, opened for one command: the source server's run (the fleet with the
// environment where it runs now) and the target's (the fleet with it on the target), one
// connection each, and the environment's move lock on both (a second `move` of the same
// environment waits or fails; a lock left by a killed run is taken over, as deploy's are).
import type { Environment, Fleet } from '../../config/fleet.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { openSession, runFor, type FleetSession, type SessionIO } from '../fleet-session.ts';
import { EnvLock } from '../lock.ts';
import { observedEnvs } from '../observe.ts';
import type { ServerRun } from '../server-run.ts';
import { StateStore } from '../state-store.ts';
import { fleetAt, requireServer } from './move-fleet.ts';
import { readRecord, type MoveRecord } from './move-record.ts';

export interface MoveSides {
  env: Environment;
  /** The fleet file as loaded. */
  fleet: Fleet;
  src: ServerRun;
  dst: ServerRun;
  srcSession: FleetSession;
  dstSession: FleetSession;
  record: MoveRecord | undefined;
  close(): Promise<void>;
}

export interface MoveTarget {
  env: string;
  /** `--to`; absent: from the record of a move under way, else the fleet file's server. */
  to?: string;
  /** `--from`; absent: from the record, else where the environment's containers run. */
  from?: string;
}

/** Finds the servers of the move: the record's first, then the flags, then the fleet file and what runs. */
interface Ends {
  from: string;
  to: string;
  record?: MoveRecord;
  /** Other environments still running where they were while the fleet file places them elsewhere (their own moves pending): env → server. */
  stay: Map<string, string>;
}

/** Environments running only on a server other than their place in the fleet file: env → that server. */
async function pendingPlaces(probe: FleetSession, fleet: Fleet, except: string): Promise<Map<string, string>> {
  const runsOn = new Map<string, string[]>();
  for (const c of probe.connections) for (const e of await observedEnvs(c.engine, fleet.project)) runsOn.set(e, [...(runsOn.get(e) ?? []), c.server.name]);
  const stay = new Map<string, string>();
  for (const e of fleet.environments) {
    const where = runsOn.get(e.name) ?? [];
    if (e.name !== except && where.length === 1 && where[0] !== e.server) stay.set(e.name, where[0]!);
  }
  return stay;
}

async function resolveEnds(ctx: SessionIO, fleet: Fleet, t: MoveTarget, opts: { identity?: string }): Promise<Ends> {
  const env = fleet.environments.find((e) => e.name === t.env);
  if (!env) throw new UsageError(`unknown environment "${t.env}"`, `environments in the fleet: ${fleet.environments.map((e) => e.name).join(', ')}`);
  if (t.to) requireServer(fleet, t.to, '--to');
  if (t.from) requireServer(fleet, t.from, '--from');
  const candidates = fleet.servers.map((s) => s.name);
  // Every server is asked for the record (the one that could not be reached is skipped).
  const probe = await openSession(ctx, fleet, candidates, { json: true, partial: true, ...(opts.identity ? { identity: opts.identity } : {}) });
  try {
    const record = await readRecord(
      probe.connections.map((c) => new StateStore(c.engine, fleet.project)),
      t.env,
    );
    if (record && record.phase !== 'finished' && record.phase !== 'rolled-back') {
      if ((t.to && t.to !== record.to) || (t.from && t.from !== record.from))
        throw new UsageError(
          `a move of ${t.env} from ${record.from} to ${record.to} is under way (${record.phase})`,
          `resume it with: slipway move ${t.env} --resume; or undo it with: slipway move ${t.env} --rollback`,
        );
      return { from: record.from, to: record.to, record, stay: await pendingPlaces(probe, fleet, t.env) };
    }
    const to = t.to ?? env.server;
    let from = t.from;
    if (!from) {
      const running: string[] = [];
      for (const c of probe.connections) {
        if (c.server.name === to) continue;
        if ((await observedEnvs(c.engine, fleet.project)).includes(t.env)) running.push(c.server.name);
      }
      if (running.length > 1) throw new UsageError(`${t.env} runs on ${running.join(' and ')}`, `say which one it leaves with --from`);
      from = running[0] ?? (env.server !== to ? env.server : undefined);
    }
    if (!from)
      throw new UsageError(
        `${t.env} runs on no other server than ${to}: nothing to move`,
        t.to ? `it is placed on ${env.server} in ${fleet.file}; deploy it there first` : 'name the target with --to SERVER',
      );
    if (from === to) throw new UsageError(`${t.env} already runs on ${to}`, 'name another server with --to');
    for (const f of probe.failures)
      if (f.server === from || f.server === to)
        throw new UserError(`cannot connect to ${f.server}: ${f.error}`, f.hint ?? 'check that the server is up and reachable over SSH');
    return { from, to, ...(record ? { record } : {}), stay: await pendingPlaces(probe, fleet, t.env) };
  } finally {
    await probe.close();
  }
}

export async function openMove(ctx: SessionIO, fleet: Fleet, t: MoveTarget, opts: { json?: boolean; identity?: string }): Promise<MoveSides> {
  const ends = await resolveEnds(ctx, fleet, t, opts);
  const o = { ...(opts.json ? { json: true } : {}), ...(opts.identity ? { identity: opts.identity } : {}) };
  // The other environments stay where they run until their own move: neither side's proxy, services or plan loses or gains them here.
  let base = fleet;
  for (const [env, server] of ends.stay) base = fleetAt(base, env, server);
  const srcSession = await openSession(ctx, fleetAt(base, t.env, ends.from), [ends.from], o);
  let dstSession: FleetSession | undefined;
  try {
    dstSession = await openSession(ctx, fleetAt(base, t.env, ends.to), [ends.to], o);
    const src = prefixed(runFor(srcSession, ends.from));
    const dst = prefixed(runFor(dstSession, ends.to));
    const env = fleet.environments.find((e) => e.name === t.env)!;
    const sides: MoveSides = {
      env,
      fleet,
      src,
      dst,
      srcSession,
      dstSession,
      record: ends.record,
      close: async () => {
        await Promise.all([srcSession.close(), dstSession!.close()]);
      },
    };
    return sides;
  } catch (e) {
    await srcSession.close();
    await dstSession?.close();
    throw e;
  }
}

/** A run whose progress lines name its server (both sides print). */
function prefixed(run: ServerRun): ServerRun {
  const name = run.conn.server.name;
  const r = run.report;
  return {
    ...run,
    report: { ...r, info: (m) => r.info(m), warn: (m) => r.warn(`${name}: ${m}`), step: (label, fn) => r.step(`[${name}] ${label}`, fn), steps: r.steps },
  };
}

/** Runs `fn` holding the move lock of the environment on both servers. */
export async function withMoveLocks<T>(sides: MoveSides, command: string, lockWaitS: number, fn: () => Promise<T>): Promise<T> {
  const held: EnvLock[] = [];
  try {
    for (const run of [sides.src, sides.dst]) {
      const lock = new EnvLock(run.conn.engine, run.fleet.project, `move.${sides.env.name}`);
      await lock.acquire({ command, waitS: lockWaitS, now: run.now, onNote: (m) => run.report.warn(m) });
      held.push(lock);
    }
    return await fn();
  } finally {
    for (const l of held.reverse()) await l.release().catch(() => undefined);
  }
}
