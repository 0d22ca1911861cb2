// Lock administration: who holds each environment's lock on each of its servers (and whether that
// holder is provably gone), and releasing a lock whose holder is gone. Releases are audited.
import { audit } from './audit.ts';
import { requireEnv, runsOfEnv, serversOfEnv } from './env-servers.ts';
import type { FleetSession } from './fleet-session.ts';
import { EnvLock, isStale, type LockHolder, pidAlive, readLock } from './lock.ts';

export interface LockRow extends Partial<LockHolder> {
  env: string;
  server: string;
  locked: boolean;
  /** The holder ran on this host and its process is gone. */
  stale: boolean;
}

export interface LockStatusOptions {
  /** Default: every environment of the fleet. */
  envs?: readonly string[];
  /** Is this pid (on this host) alive? Injected for tests. */
  isAlive?: (pid: number) => boolean;
}

/** One row per environment and server of the session that the environment touches. */
export async function lockStatus(session: FleetSession, opts: LockStatusOptions = {}): Promise<LockRow[]> {
  const fleet = session.fleet;
  const envs = opts.envs ?? fleet.environments.map((e) => e.name);
  const isAlive = opts.isAlive ?? pidAlive;
  const rows: LockRow[] = [];
  for (const env of envs) {
    requireEnv(fleet, env);
    for (const server of serversOfEnv(fleet, env)) {
      const run = session.runs.get(server);
      if (!run) continue;
      const h = await readLock(run.conn.engine, fleet.project, env);
      rows.push({ env, server, locked: Boolean(h), stale: h ? isStale(h, isAlive) : false, ...(h ?? {}) });
    }
  }
  return rows;
}

export interface ReleasedLock extends LockHolder {
  server: string;
}

export interface LockReleaseResult {
  env: string;
  /** The locks that were held and are now gone, with who held them. */
  released: ReleasedLock[];
}

/** Releases ENV's lock on each of its servers where one is held (use when its holder is gone). */
export async function releaseLock(session: FleetSession, opts: { env: string }): Promise<LockReleaseResult> {
  const { env } = opts;
  const released: ReleasedLock[] = [];
  for (const [server, run] of runsOfEnv(session, env)) {
    const h = await readLock(run.conn.engine, session.fleet.project, env);
    if (!h) continue;
    await new EnvLock(run.conn.engine, session.fleet.project, env).release();
    await audit(run.store, { action: 'lock release', env, outcome: 'ok', detail: `was held by ${h.holder} (pid ${h.pid}) for "${h.command}"` }, run.now);
    released.push({ server, ...h });
  }
  return { env, released };
}
