// waitReady probes a container from the server through an address the host routes to: an
// `internal` network (compose `internal: true`) is the last resort, whatever the network order.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Dialer } from '../engine/dialer.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { fakeWorld } from '../../test/support/fake-session.ts';
import { waitReady } from './health.ts';

function ok(): Duplex {
  return new Duplex({
    read() {},
    write(_c, _e, cb) {
      this.push('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      cb();
    },
  });
}

describe('waitReady on a container with an internal network first', () => {
  it('dials its address on the non-internal network', async () => {
    const w = await fakeWorld();
    const base = w.run('s1');
    const engine = w.engine('s1');
    await engine.createNetwork({ name: 'acme-prod-web-back', labels: {}, internal: true });
    await engine.createNetwork({ name: 'acme-prod-web-front', labels: {} });
    const state = {
      ...base.state,
      networks: [
        ...base.state.networks,
        { name: 'acme-prod-web-back', purpose: 'app' as const, env: 'prod', app: 'web', internal: true, labels: {} },
        { name: 'acme-prod-web-front', purpose: 'app' as const, env: 'prod', app: 'web', labels: {} },
      ],
    };
    const spec = base.state.containers.find((c) => c.key === 'web/prod/web/0')!;
    const probed: ContainerSpec = {
      ...spec,
      networks: [
        { network: 'acme-prod-web-back', aliases: ['web-prod-web'] },
        { network: 'acme-prod-web-front', aliases: ['web-prod-web'] },
      ],
    };
    const id = await engine.createContainer({
      name: 'acme-web-prod-web-0-r1',
      image: 'acme/web:v1',
      env: {},
      labels: {},
      networks: probed.networks.map((n) => ({ name: n.network, aliases: n.aliases })),
      mounts: [],
      restart: 'unless-stopped',
      stopTimeoutS: 10,
    });
    await engine.startContainer(id);
    const info = await engine.inspectContainer(id);
    const hosts: string[] = [];
    const dialer: Dialer = {
      dial: async (host) => {
        hosts.push(host);
        return ok();
      },
    };
    await waitReady({ ...base, state, conn: { ...base.conn, dialer } }, id, probed, []);
    expect(hosts).toEqual([info.ipAddresses['acme-prod-web-front']]);
    expect(info.ipAddresses['acme-prod-web-front']).not.toBe(info.ipAddresses['acme-prod-web-back']);
  });
});
