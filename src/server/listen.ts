// Runs a control-plane app on @hono/node-server: listens on host:port (port 0 picks a free one)
// and hands back the address and a close() that also ends idle keep-alive connections.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { ControlPlaneApp } from './app.ts';

export interface Listening {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

export function listen(app: ControlPlaneApp, opts: { host: string; port: number }): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      server.off('error', reject);
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        host: info.address,
        port: info.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            (server as Server).closeIdleConnections?.();
          }),
      });
    });
    server.once('error', reject);
  });
}
