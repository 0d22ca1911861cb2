// The run of a server used only to build a release (`deploy --build-on`): the session's own run when
// the server runs part of the fleet, otherwise a bare run on its connection that desires nothing.
import { UserError } from '../diag/errors.ts';
import type { FleetSession } from './fleet-session.ts';
import type { ServerRun } from './server-run.ts';
import { StateStore } from './state-store.ts';

export function buildServerRun(session: FleetSession, server: string): ServerRun {
  const own = session.runs.get(server);
  if (own) return own;
  const any = [...session.runs.values()][0];
  const conn = session.connections.find((c) => c.server.name === server);
  if (!any || !conn) throw new UserError(`cannot reach build server ${server}`, 'check that it is up and reachable, or build on the target itself');
  return {
    ...any,
    conn,
    store: new StateStore(conn.engine, session.fleet.project),
    state: { ...any.state, server, containers: [], routes: [], networks: [], volumes: [], databases: [], redisDbs: [] },
  };
}
