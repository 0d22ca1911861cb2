// connectSsh: a ServerConnection to a server over SSH. One ssh2 connection carries the Engine
// API (an http.Agent opening channels to the remote Docker socket), the Dialer (direct-tcpip
// from the server) and host commands. connect.ts loads this lazily for `ssh` transports.
import type { Server } from '../config/fleet.ts';
import type { ServerConnection } from './connection.ts';
import { DockerodeEngine } from './dockerode-engine.ts';
import { sshDockerAgent } from './ssh-docker-agent.ts';
import { SshDialer } from './ssh-dialer.ts';
import type { SshConnectOptions } from './ssh-session.ts';
import { SshSession } from './ssh-session.ts';

export type { SshConnectOptions } from './ssh-session.ts';
export { sshExec } from './ssh-exec.ts';
export { sftpReadFile, sftpWriteFile } from './ssh-sftp.ts';
export { shellQuote } from './ssh-quote.ts';

export interface SshServerConnection extends ServerConnection {
  engine: DockerodeEngine;
  dialer: SshDialer;
  /** The one SSH connection under the engine and the dialer (for sshExec and sftp). */
  ssh: SshSession;
}

/**
 * Connects to `server` (transport `ssh`), verifying its host key and logging in. Rejects with an
 * SshError that names the server: unreachable or timed out, key refused, host key unknown or
 * changed.
 */
export async function connectSsh(server: Server, opts: SshConnectOptions = {}): Promise<SshServerConnection> {
  const ssh = await SshSession.open(server, opts);
  const engine = new DockerodeEngine(server.name, { protocol: 'http', host: 'docker', port: 80, agent: sshDockerAgent(ssh) });
  return { server, engine, dialer: new SshDialer(ssh), ssh, close: () => ssh.close() };
}
