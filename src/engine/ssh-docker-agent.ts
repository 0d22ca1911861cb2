// An http.Agent that carries Engine API requests to a server's Docker socket over its one SSH
// connection: each request is a direct-streamlocal channel to /var/run/docker.sock (~1 round
// trip to open), instead of dockerode's own ssh mode, which logs in again for every call.
import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SshSession } from './ssh-session.ts';
import { sshStreamError } from './ssh-session.ts';

export const DOCKER_SOCKET = '/var/run/docker.sock';

type CreateConnection = (opts: unknown, cb: (err: Error | null, stream?: Duplex) => void) => Duplex | undefined;

/** An agent for dockerode `{ protocol: 'http', host: 'docker', port: 80, agent }`. */
export function sshDockerAgent(session: SshSession, socketPath: string = DOCKER_SOCKET): Agent {
  // No keep-alive: a channel is cheap to open, and a hijacked exec or followed log stream must
  // never be handed to another request.
  const agent = new Agent({ keepAlive: false });
  const create: CreateConnection = (_opts, cb) => {
    session.openUnixStream(socketPath).then(
      (stream) => cb(null, stream),
      (err: Error) => cb(sshStreamError(err)),
    );
    return undefined;
  };
  (agent as unknown as { createConnection: CreateConnection }).createConnection = create;
  return agent;
}
