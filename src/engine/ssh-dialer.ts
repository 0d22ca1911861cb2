// SshDialer: the Dialer of an SSH server. Streams are direct-tcpip channels opened by the
// server's sshd, so a health check reaches a container IP on the server's Docker networks.
import type { Duplex } from 'node:stream';
import type { Dialer } from './dialer.ts';
import type { SshSession } from './ssh-session.ts';

export class SshDialer implements Dialer {
  constructor(private readonly session: SshSession) {}

  dial(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    return this.session.forwardOut(host, port, timeoutMs);
  }
}
