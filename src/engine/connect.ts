import type { Server } from '../config/fleet.ts';
import type { Connector, ServerConnection } from './connection.ts';
import { LocalDialer } from './dialer.ts';
import { DockerodeEngine } from './dockerode-engine.ts';

export type { Connector, ServerConnection };

/**
 * The Docker socket to reach `server` through on this machine, or undefined for SSH: a `local`
 * server's, and the server named by $SLIPWAY_LOCAL_SERVER (the control plane in its container on
 * that server, with the server's socket bound in: `slipway serve install`).
 */
export function localSocket(server: Server, env: Record<string, string | undefined>): string | undefined {
  const local = server.transport.kind === 'local' || env.SLIPWAY_LOCAL_SERVER === server.name;
  if (!local) return undefined;
  return (server.transport.kind === 'local' ? server.transport.socket : undefined) ?? env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock';
}

export const defaultConnector: Connector = async (server) => {
  const socketPath = localSocket(server, process.env);
  if (socketPath !== undefined) {
    return { server, engine: new DockerodeEngine(server.name, { socketPath }), dialer: new LocalDialer(), close: async () => {} };
  }
  const { connectSsh } = await import('./ssh-connect.ts');
  return connectSsh(server);
};
