// Tests for the pure Engine API JSON mappers, fed with real responses captured from Docker 20.10.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  containerInfoFromInspect,
  containerSummaryFromList,
  createBody,
  imageFromInspect,
  labelFilters,
  networkFromJson,
  volumeFromJson,
} from './docker-json.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/plan/docker/${name}.json`, import.meta.url), 'utf8'));

describe('containerInfoFromInspect', () => {
  it('maps a running, healthy app container on two networks', () => {
    const info = containerInfoFromInspect(fixture('inspect-app-web'));
    expect(info).toMatchObject({
      name: 'acme-blog-prod-web-1-r7',
      image: 'busybox:1.36',
      state: 'running',
      health: 'healthy',
      exitCode: 0,
      memoryLimit: 64 * 1024 * 1024,
      cpus: 0.5,
      restart: 'unless-stopped',
      cmd: ['sh', '-c', 'echo up; exec sleep 300'],
      envKeys: ['PORT', 'DATABASE_URL'],
      mounts: [{ volume: 'acme-prod-blog-media', target: '/media' }],
      restartCount: 0,
    });
    expect(info.id).toMatch(/^[0-9a-f]{64}$/);
    expect(info.imageId).toMatch(/^sha256:/);
    expect(info.labels['slipway.spec-hash']).toBe('abc123def456');
    // Docker's automatic short-id alias is dropped; ours stays.
    expect(info.networks).toEqual([
      { name: 'acme-prod', aliases: ['blog-prod-web'] },
      { name: 'acme-prod-edge', aliases: ['blog-prod-web'] },
    ]);
    expect(Object.keys(info.ipAddresses).sort()).toEqual(['acme-prod', 'acme-prod-edge']);
    expect(info.ipAddresses['acme-prod']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(info.startedAt).toMatch(/^\d{4}-/);
    expect(JSON.stringify(info)).not.toContain('postgres://fixture');
  });

  it('maps a created (never started) container: no startedAt, no health', () => {
    const info = containerInfoFromInspect(fixture('inspect-service-created'));
    expect(info).toMatchObject({ name: 'acme-pg-prod', state: 'created', health: 'none', startedAt: null, memoryLimit: 0, cpus: 0, restart: 'no' });
    expect(info.networks).toEqual([{ name: 'acme-prod', aliases: ['pg-prod'] }]);
    expect(info.ipAddresses).toEqual({ 'acme-prod': '' });
  });

  it('maps an exited container with its exit code', () => {
    const info = containerInfoFromInspect(fixture('inspect-release-task-exited'));
    expect(info).toMatchObject({ state: 'exited', exitCode: 3, health: 'none' });
    expect(info.networks).toEqual([{ name: 'acme-prod', aliases: [] }]);
  });
});

describe('list mappers', () => {
  it('maps the container list (names without slash, ISO created, network names)', () => {
    const list = fixture('list-containers').map(containerSummaryFromList);
    const web = list.find((c: { name: string }) => c.name === 'acme-blog-prod-web-1-r7');
    expect(web).toMatchObject({ state: 'running', image: 'busybox:1.36', networks: ['acme-prod', 'acme-prod-edge'] });
    expect(web.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(list.map((c: { state: string }) => c.state).sort()).toEqual(['created', 'exited', 'running']);
  });

  it('maps networks, volumes and images', () => {
    const nets = fixture('list-networks').map(networkFromJson);
    expect(nets.map((n: { name: string }) => n.name).sort()).toEqual(['acme-prod', 'acme-prod-edge']);
    expect(nets[0]).toMatchObject({ internal: false, driver: 'bridge' });
    const vols = fixture('list-volumes').Volumes.map(volumeFromJson);
    expect(vols.find((v: { name: string }) => v.name === 'acme-pg-prod-data').labels).toMatchObject({ 'slipway.service': 'pg', 'slipway.env': 'prod' });
    const img = imageFromInspect(fixture('inspect-image'));
    expect(img.tags).toContain('busybox:1.36');
    expect(img.id).toMatch(/^sha256:/);
  });
});

describe('labelFilters', () => {
  it('builds key=value and key-present filters', () => {
    expect(labelFilters({ 'slipway.project': 'acme', 'slipway.role': true })).toEqual({ label: ['slipway.project=acme', 'slipway.role'] });
  });
});

describe('createBody', () => {
  it('maps our spec to the create request, attaching only the first network', () => {
    const body = createBody({
      name: 'acme-blog-prod-web-0-r1',
      image: 'acme/blog:r1',
      cmd: ['node', 'server.js'],
      env: { PORT: '3000' },
      labels: { 'slipway.project': 'acme' },
      networks: [
        { name: 'acme-prod', aliases: ['blog-prod-web'] },
        { name: 'acme-prod-edge', aliases: ['blog-prod-web'] },
      ],
      mounts: [{ volume: 'acme-prod-blog-media', target: '/media', readOnly: true }],
      memory: 256 * 1024 * 1024,
      cpus: 1.5,
      restart: 'unless-stopped',
      stopTimeoutS: 10,
      publish: [{ hostPort: 8080, containerPort: 80, hostIp: '127.0.0.1' }],
      healthcheck: { test: ['node', 'probe.js'], intervalMs: 2000, timeoutMs: 1000, retries: 3, startPeriodMs: 0 },
    });
    expect(body).toEqual({
      name: 'acme-blog-prod-web-0-r1',
      Image: 'acme/blog:r1',
      Cmd: ['node', 'server.js'],
      Env: ['PORT=3000'],
      Labels: { 'slipway.project': 'acme' },
      StopTimeout: 10,
      ExposedPorts: { '80/tcp': {} },
      HostConfig: {
        RestartPolicy: { Name: 'unless-stopped' },
        Mounts: [{ Type: 'volume', Source: 'acme-prod-blog-media', Target: '/media', ReadOnly: true }],
        PortBindings: { '80/tcp': [{ HostPort: '8080', HostIp: '127.0.0.1' }] },
        NetworkMode: 'acme-prod',
        Memory: 256 * 1024 * 1024,
        NanoCpus: 1.5e9,
      },
      NetworkingConfig: { EndpointsConfig: { 'acme-prod': { Aliases: ['blog-prod-web'] } } },
      Healthcheck: { Test: ['CMD', 'node', 'probe.js'], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 0 },
    });
  });

  it('uses an empty restart policy for `no` and omits unset limits', () => {
    const body = createBody({ name: 'x', image: 'busybox:1.36', env: {}, labels: {}, networks: [], mounts: [], restart: 'no', stopTimeoutS: 1 });
    expect(body.HostConfig).toEqual({ RestartPolicy: { Name: '' }, Mounts: [], PortBindings: {} });
    expect(body.NetworkingConfig).toEqual({});
    expect(body).not.toHaveProperty('Cmd');
  });
});

describe('createBody: healthchecks as compose writes them', () => {
  const base = { name: 'x', image: 'postgres:15', env: {}, labels: {}, networks: [], mounts: [], restart: 'unless-stopped' as const, stopTimeoutS: 10 };
  it.each([
    [
      ['CMD-SHELL', 'pg_isready -U $POSTGRES_USER'],
      ['CMD-SHELL', 'pg_isready -U $POSTGRES_USER'],
    ],
    [
      ['CMD', 'redis-cli', 'ping'],
      ['CMD', 'redis-cli', 'ping'],
    ],
    [['NONE'], ['NONE']],
    [
      ['node', 'probe.js'],
      ['CMD', 'node', 'probe.js'],
    ],
  ])('%j → Test %j', (test, expected) => {
    const body = createBody({ ...base, healthcheck: { test, intervalMs: 5000, timeoutMs: 3000, retries: 10, startPeriodMs: 30_000 } });
    expect(body.Healthcheck).toEqual({ Test: expected, Interval: 5e9, Timeout: 3e9, Retries: 10, StartPeriod: 3e10 });
  });
});
