// Observed state of the servers a command touches: containers, networks and volumes read back
// from each engine by Slipway's labels, plus what only the server's state knows (the routes the
// proxy was last given, the databases created, the Redis allocations).
import { observeServer } from './observe-server.ts';
import type { ObservedServer, ObservedState } from '../plan/diff/observed.ts';
import type { ServerRun } from './server-run.ts';
import { loadRedisAllocations } from './redis-allocations.ts';
import { readAppliedRoutes } from './proxy.ts';
import { readDatabases } from './postgres-setup.ts';
import { LABELS } from '../model/labels.ts';

export async function observeRun(run: ServerRun): Promise<ObservedServer> {
  const server = await observeServer(run.conn.engine, run.fleet.project, run.conn.server.name);
  // Stopped containers of earlier releases are kept on purpose (instant rollback): they are not
  // drift, so they are left out when the same key has a running container.
  const running = new Set(server.containers.filter((c) => c.state === 'running').map((c) => c.key));
  server.containers = server.containers.filter((c) => c.state === 'running' || !running.has(c.key));
  // Slipway's own state volume is not part of the fleet.
  server.volumes = server.volumes.filter((v) => v.labels[LABELS.role] !== 'state');
  return {
    ...server,
    routes: await readAppliedRoutes(run),
    databases: await readDatabases(run),
    redisDbs: await loadRedisAllocations(run.store),
  };
}

export async function observeRuns(project: string, runs: Iterable<ServerRun>): Promise<ObservedState> {
  return { project, servers: await Promise.all([...runs].map(observeRun)) };
}
