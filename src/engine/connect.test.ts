// Which servers the default connector reaches through a local Docker socket: local servers, and
// the one $SLIPWAY_LOCAL_SERVER names (the control plane inside its container on that server).
import { describe, expect, it } from 'vitest';
import type { Server } from '../config/fleet.ts';
import { localSocket } from './connect.ts';

const server = (name: string, transport: Server['transport']): Server => ({ name, transport, proxy: 'caddy', httpPort: 80 });
const ssh = (name: string) => server(name, { kind: 'ssh', user: 'root', host: '203.0.113.7', port: 22 });

describe('localSocket', () => {
  it('is undefined for an SSH server, unless SLIPWAY_LOCAL_SERVER names it', () => {
    expect(localSocket(ssh('vps1'), {})).toBeUndefined();
    expect(localSocket(ssh('vps1'), { SLIPWAY_LOCAL_SERVER: 'vps2' })).toBeUndefined();
    expect(localSocket(ssh('vps1'), { SLIPWAY_LOCAL_SERVER: 'vps1' })).toBe('/var/run/docker.sock');
    expect(localSocket(ssh('vps1'), { SLIPWAY_LOCAL_SERVER: 'vps1', SLIPWAY_DOCKER_SOCKET: '/run/d.sock' })).toBe('/run/d.sock');
  });

  it("is a local server's own socket, else SLIPWAY_DOCKER_SOCKET, else the default", () => {
    expect(localSocket(server('l', { kind: 'local', socket: '/x.sock' }), { SLIPWAY_DOCKER_SOCKET: '/y.sock' })).toBe('/x.sock');
    expect(localSocket(server('l', { kind: 'local' }), { SLIPWAY_DOCKER_SOCKET: '/y.sock' })).toBe('/y.sock');
    expect(localSocket(server('l', { kind: 'local' }), {})).toBe('/var/run/docker.sock');
  });
});
