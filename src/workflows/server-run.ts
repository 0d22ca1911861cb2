// ServerRun: everything a workflow needs about one server — the fleet, its desired state there,
// the connection (engine + dialer), the state store and the progress reporter. Built once per
// command and passed down (no globals).
import type { Fleet } from '../config/fleet.ts';
import type { ServerConnection } from '../engine/connect.ts';
import type { DesiredState, ServerState } from '../plan/desire/desired.ts';
import type { Reporter } from './reporter.ts';
import type { SecretFiles } from './secrets-file.ts';
import { StateStore } from './state-store.ts';

export interface ServerRun {
  fleet: Fleet;
  desired: DesiredState;
  state: ServerState;
  conn: ServerConnection;
  store: StateStore;
  report: Reporter;
  /** The repository's encrypted secrets files (workflows/secrets-file.ts); absent: server values only. */
  secretFiles?: SecretFiles;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export function serverRun(fleet: Fleet, desired: DesiredState, conn: ServerConnection, report: Reporter, now: () => number): ServerRun {
  const state = desired.servers.find((s) => s.server === conn.server.name);
  if (!state) throw new Error(`server ${conn.server.name} has nothing to run`);
  return { fleet, desired, state, conn, store: new StateStore(conn.engine, fleet.project), report, now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
}
