// createBody: every container setting lands in its Engine API field (Config or HostConfig), and
// nothing is sent for settings left unset.
import { describe, expect, it } from 'vitest';
import type { CreateContainerSpec } from './docker-engine.ts';
import { createBody } from './docker-json.ts';

const base: CreateContainerSpec = {
  name: 'x',
  image: 'busybox:1.36',
  env: {},
  labels: {},
  networks: [],
  mounts: [],
  restart: 'unless-stopped',
  stopTimeoutS: 10,
};

describe('createBody: container settings', () => {
  it('maps each setting to its Engine API field', () => {
    const body = createBody({
      ...base,
      user: '1000:1000',
      workdir: '/srv',
      entrypoint: ['/sbin/tini', '--'],
      stopSignal: 'SIGQUIT',
      restart: 'on-failure',
      restartMaxRetries: 3,
      tmpfs: { '/tmp': 'size=64m', '/run': '' },
      capAdd: ['NET_BIND_SERVICE'],
      capDrop: ['ALL'],
      readOnlyRootfs: true,
      privileged: false,
      ulimits: [{ name: 'nofile', soft: 1024, hard: 65536 }],
      sysctls: { 'net.core.somaxconn': '1024' },
      shmSize: 268435456,
      init: true,
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
      extraHosts: ['db.internal:10.0.0.5'],
      devices: [{ pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm' }],
      dns: ['1.1.1.1'],
      pidsLimit: 1024,
      oomScoreAdj: 300,
    });
    expect(body).toMatchObject({ User: '1000:1000', WorkingDir: '/srv', Entrypoint: ['/sbin/tini', '--'], StopSignal: 'SIGQUIT', StopTimeout: 10 });
    expect(body.HostConfig).toEqual({
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      Mounts: [],
      PortBindings: {},
      Sysctls: { 'net.core.somaxconn': '1024' },
      Tmpfs: { '/tmp': 'size=64m', '/run': '' },
      CapAdd: ['NET_BIND_SERVICE'],
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      Privileged: false,
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 65536 }],
      ShmSize: 268435456,
      Init: true,
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      ExtraHosts: ['db.internal:10.0.0.5'],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      Dns: ['1.1.1.1'],
      PidsLimit: 1024,
      OomScoreAdj: 300,
    });
  });

  it('an empty entrypoint clears the image’s, as `--entrypoint ""` does', () => {
    expect(createBody({ ...base, entrypoint: [] }).Entrypoint).toEqual(['']);
  });

  it('sends nothing for unset settings', () => {
    const body = createBody(base);
    expect(body.HostConfig).toEqual({ RestartPolicy: { Name: 'unless-stopped' }, Mounts: [], PortBindings: {} });
    for (const k of ['User', 'WorkingDir', 'Entrypoint', 'StopSignal']) expect(body).not.toHaveProperty(k);
  });
});
