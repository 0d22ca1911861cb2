// Dialer: opens a TCP stream to an address as seen from the server (a container's IP on a
// Docker network). Local: a plain socket. SSH: a direct-tcpip channel through the server's sshd.
// Health checks use it, so app images need no curl or wget.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

export interface Dialer {
  dial(host: string, port: number, timeoutMs: number): Promise<Duplex>;
}

export class LocalDialer implements Dialer {
  dial(host: string, port: number, timeoutMs: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        resolve(sock);
      });
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }
}
