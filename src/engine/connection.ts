// What a connection to one server gives the layers above: its DockerEngine, its Dialer (TCP to
// container addresses, through SSH for remote servers) and a way to close it.
import type { Server } from '../config/fleet.ts';
import type { Dialer } from './dialer.ts';
import type { DockerEngine } from './docker-engine.ts';

export interface ServerConnection {
  server: Server;
  engine: DockerEngine;
  dialer: Dialer;
  close(): Promise<void>;
}

export type Connector = (server: Server) => Promise<ServerConnection>;
