// Opens a connection to a server of the fleet: its DockerEngine and its Dialer. This is the one
// place that knows local from SSH; nothing above it branches on the transport.
import type { Server } from '../config/fleet.ts';
import type { Dialer } from './dialer.ts';
import { LocalDialer } from './dialer.ts';
import type { DockerEngine } from './docker-engine.ts';
import { DockerodeEngine } from './dockerode-engine.ts';

export interface ServerConnection {
  server: Server;
  engine: DockerEngine;
  dialer: Dialer;
  close(): Promise<void>;
}

export interface Connector {
  (server: Server): Promise<ServerConnection>;
}

export const defaultConnector: Connector = async (server) => {
  if (server.transport.kind === 'local') {
    const socketPath = server.transport.socket ?? process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock';
    return { server, engine: new DockerodeEngine(server.name, { socketPath }), dialer: new LocalDialer(), close: async () => {} };
  }
  const { connectSsh } = await import('./ssh-connect.ts');
  return connectSsh(server);
};
