import type { Connector, ServerConnection } from './connection.ts';
import { LocalDialer } from './dialer.ts';
import { DockerodeEngine } from './dockerode-engine.ts';

export type { Connector, ServerConnection };

export const defaultConnector: Connector = async (server) => {
  if (server.transport.kind === 'local') {
    const socketPath = server.transport.socket ?? process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock';
    return { server, engine: new DockerodeEngine(server.name, { socketPath }), dialer: new LocalDialer(), close: async () => {} };
  }
  const { connectSsh } = await import('./ssh-connect.ts');
  return connectSsh(server);
};
