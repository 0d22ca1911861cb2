// toCreateSpec: a desired ContainerSpec's settings reach the engine's create spec, renamed to the
// port's terms (readOnly → readOnlyRootfs, extra hosts as host:ip, ulimits as a list).
import { describe, expect, it } from 'vitest';
import { testFleet } from '../../test/fixtures/test-fleet.ts';
import { desire } from '../plan/desire/desire.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { toCreateSpec } from './container-create.ts';

function spec(): ContainerSpec {
  const f = testFleet({ project: 'gs', envs: [{ name: 'staging' }], apps: [{ name: 'shop', processes: { migrate: {} } }] });
  Object.assign(f.apps[0]!.perEnv.staging!.processes[0]!, {
    user: '1000',
    workingDir: '/srv',
    entrypoint: ['./run'],
    restart: 'no',
    tmpfs: { '/tmp': '' },
    readOnly: true,
    capAdd: ['NET_BIND_SERVICE'],
    ulimits: { nofile: { soft: 1024, hard: 2048 } },
    extraHosts: [{ host: 'db.internal', ip: '10.0.0.5' }],
    devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'r' }],
    labels: { team: 'payments' },
  });
  return desire(f).servers[0]!.containers.find((c) => c.key === 'shop/staging/migrate/0')!;
}

describe('toCreateSpec: container settings', () => {
  it('passes every setting, with the protective defaults, in the engine’s terms', () => {
    const c = toCreateSpec(spec(), { release: 'r1', env: {} });
    expect(c).toMatchObject({
      name: 'gs-shop-staging-migrate-0-r1',
      restart: 'no',
      user: '1000',
      workdir: '/srv',
      entrypoint: ['./run'],
      tmpfs: { '/tmp': '' },
      readOnlyRootfs: true,
      capAdd: ['NET_BIND_SERVICE'],
      ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }],
      extraHosts: ['db.internal:10.0.0.5'],
      devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'r' }],
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
      pidsLimit: 1024,
      oomScoreAdj: 300,
    });
    expect(c.labels).toMatchObject({ team: 'payments', 'slipway.release': 'r1', 'slipway.process': 'migrate' });
  });
});
