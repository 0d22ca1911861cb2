// Tests for observe: pure mappers on captured Engine API fixtures, and the engine reads (observeServer,
// the cheap listing, the environments found on a server) over the fake.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { containerInfoFromInspect } from '../engine/docker-json.ts';
import { FakeEngine } from '../engine/fake-engine.ts';
import { EngineError } from '../engine/engine-errors.ts';
import { listOwned, observeContainer, observeListed, observeNamed, observeServer, observedEnvs, observedKey } from './observe.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../test/fixtures/plan/docker/${name}.json`, import.meta.url), 'utf8'));
const inspect = (name: string) => containerInfoFromInspect(fixture(name));

describe('observeContainer (captured inspect JSON)', () => {
  it('maps a running app container', () => {
    const c = observeContainer(inspect('inspect-app-web'));
    expect(c).toMatchObject({
      name: 'acme-blog-prod-web-1-r7',
      key: 'blog/prod/web/1',
      role: 'app',
      image: 'busybox:1.36',
      specHash: 'abc123def456',
      release: 'r7',
      state: 'running',
      health: 'healthy',
    });
    expect(c?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(c?.createdAt).toMatch(/^\d{4}-/);
    expect(c?.labels['slipway.project']).toBe('acme');
  });

  it('maps an env-scoped service container to service/{name}/{env}', () => {
    expect(observeContainer(inspect('inspect-service-created'))).toMatchObject({
      key: 'service/pg/prod',
      role: 'service',
      state: 'created',
      health: 'none',
      specHash: '0011223344',
    });
  });

  it('maps an exited release task', () => {
    const c = observeContainer(inspect('inspect-release-task-exited'));
    expect(c).toMatchObject({ key: 'blog/prod/migrate/0', role: 'release-task', state: 'exited', release: 'r7' });
    expect(c).not.toHaveProperty('specHash');
  });

  it('ignores containers whose labels identify nothing', () => {
    const info = inspect('inspect-app-web');
    expect(observeContainer({ ...info, labels: { 'slipway.project': 'acme' } })).toBeUndefined();
  });
});

describe('observedKey', () => {
  const base = { 'slipway.project': 'acme', 'slipway.app': 'blog', 'slipway.env': 'prod', 'slipway.process': 'web', 'slipway.role': 'app' };
  it.each([
    ['replica label wins', { ...base, 'slipway.replica': '2' }, 'acme-blog-prod-web-5-r1', 'blog/prod/web/2'],
    ['replica from the physical name with release', { ...base, 'slipway.release': 'r1' }, 'acme-blog-prod-web-3-r1', 'blog/prod/web/3'],
    ['replica from a name without release label', base, 'acme-blog-prod-web-1-20250101', 'blog/prod/web/1'],
    ['unparseable name: replica 0', base, 'something-else', 'blog/prod/web/0'],
    ['proxy', { 'slipway.project': 'acme', 'slipway.role': 'proxy' }, 'acme-proxy', 'proxy'],
    ['server-scoped service', { 'slipway.project': 'acme', 'slipway.role': 'service', 'slipway.service': 'pg' }, 'acme-pg', 'service/pg'],
    [
      'env-scoped service',
      { 'slipway.project': 'acme', 'slipway.role': 'service', 'slipway.service': 'pg', 'slipway.env': 'dev' },
      'acme-pg-dev',
      'service/pg/dev',
    ],
    ['unknown role', { 'slipway.project': 'acme', 'slipway.role': 'other' }, 'x', undefined],
  ])('%s', (_t, labels, name, key) => {
    expect(observedKey(labels as Record<string, string>, name)).toBe(key);
  });
});

describe('observeNamed', () => {
  it('keeps name and labels only', () => {
    expect(observeNamed({ id: 'x', name: 'acme-prod', labels: { a: 'b' }, internal: false, driver: 'bridge' })).toEqual({
      name: 'acme-prod',
      labels: { a: 'b' },
    });
  });
});

describe('observeServer', () => {
  it('reads only the project’s objects, inspecting each container', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    const mine = { 'slipway.project': 'acme' };
    await fake.createNetwork({ name: 'acme-prod', labels: { ...mine, 'slipway.env': 'prod' } });
    await fake.createNetwork({ name: 'other-prod', labels: { 'slipway.project': 'other' } });
    await fake.createNetwork({ name: 'bridge2', labels: {} });
    await fake.createVolume({ name: 'acme-pg-data', labels: { ...mine, 'slipway.service': 'pg' } });
    await fake.createVolume({ name: 'random', labels: {} });
    const common = { env: { SECRET: 'v' }, mounts: [], restart: 'unless-stopped' as const, stopTimeoutS: 5, image: 'busybox:1.36' };
    const web = await fake.createContainer({
      ...common,
      name: 'acme-blog-prod-web-0-r1',
      labels: {
        ...mine,
        'slipway.app': 'blog',
        'slipway.env': 'prod',
        'slipway.process': 'web',
        'slipway.role': 'app',
        'slipway.release': 'r1',
        'slipway.spec-hash': 'h1',
      },
      networks: [{ name: 'acme-prod', aliases: ['blog-prod-web'] }],
      healthcheck: { test: ['true'] },
    });
    await fake.startContainer(web);
    await fake.createContainer({ ...common, name: 'acme-proxy', labels: { ...mine, 'slipway.role': 'proxy' }, networks: [] });
    await fake.createContainer({ ...common, name: 'other-proxy', labels: { 'slipway.project': 'other', 'slipway.role': 'proxy' }, networks: [] });
    fake.clearTranscript();

    const observed = await observeServer(fake, 'acme', 'web1');
    expect(observed).toEqual({
      server: 'web1',
      networks: [{ name: 'acme-prod', labels: { 'slipway.project': 'acme', 'slipway.env': 'prod' } }],
      volumes: [{ name: 'acme-pg-data', labels: { 'slipway.project': 'acme', 'slipway.service': 'pg' } }],
      containers: [
        expect.objectContaining({
          key: 'blog/prod/web/0',
          name: 'acme-blog-prod-web-0-r1',
          state: 'running',
          health: 'healthy',
          specHash: 'h1',
          release: 'r1',
        }),
        expect.objectContaining({ key: 'proxy', name: 'acme-proxy', role: 'proxy', state: 'created', health: 'none' }),
      ],
    });
    expect(fake.ops().sort()).toEqual(['inspectContainer', 'inspectContainer', 'listContainers', 'listNetworks', 'listVolumes']);
    expect(fake.calls('listContainers')[0]).toEqual([{ 'slipway.project': 'acme' }, { all: true }]);
  });

  it('skips a container removed between list and inspect, but surfaces other errors', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    await fake.createContainer({
      name: 'acme-proxy',
      image: 'busybox:1.36',
      env: {},
      labels: { 'slipway.project': 'acme', 'slipway.role': 'proxy' },
      networks: [],
      mounts: [],
      restart: 'no',
      stopTimeoutS: 1,
    });
    fake.failOn('inspectContainer', { statusCode: 404, detail: 'No such container' });
    expect((await observeServer(fake, 'acme', 'web1')).containers).toEqual([]);
    fake.failOn('inspectContainer', { statusCode: 500, detail: 'daemon busy' });
    await expect(observeServer(fake, 'acme', 'web1')).rejects.toBeInstanceOf(EngineError);
  });
});

describe('observeListed, listOwned and observedEnvs', () => {
  async function engine() {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    const common = { env: {}, mounts: [], restart: 'unless-stopped' as const, stopTimeoutS: 5, image: 'busybox:1.36' };
    await fake.createNetwork({ name: 'acme-prod', labels: { 'slipway.project': 'acme', 'slipway.env': 'prod' } });
    await fake.createNetwork({ name: 'acme-qual', labels: { 'slipway.project': 'acme', 'slipway.env': 'qual' } });
    const app = { 'slipway.project': 'acme', 'slipway.app': 'blog', 'slipway.process': 'web', 'slipway.role': 'app' };
    const id = await fake.createContainer({
      ...common,
      name: 'acme-blog-prod-web-0-r1',
      labels: { ...app, 'slipway.env': 'prod', 'slipway.release': 'r1', 'slipway.spec-hash': 'h1' },
      networks: [{ name: 'acme-prod', aliases: [] }],
    });
    await fake.startContainer(id);
    await fake.createContainer({ ...common, name: 'acme-blog-staging-web-0-r1', labels: { ...app, 'slipway.env': 'staging' }, networks: [] });
    await fake.createContainer({
      ...common,
      name: 'acme-lock-dev',
      labels: { 'slipway.project': 'acme', 'slipway.role': 'lock', 'slipway.env': 'dev' },
      networks: [],
    });
    await fake.createContainer({ ...common, name: 'other-web', labels: { ...app, 'slipway.project': 'other', 'slipway.env': 'x' }, networks: [] });
    fake.clearTranscript();
    return fake;
  }

  it('observeListed keys running containers from one list call, with their networks and no health', async () => {
    const fake = await engine();
    expect(await observeListed(fake, 'acme')).toEqual([
      expect.objectContaining({
        key: 'blog/prod/web/0',
        name: 'acme-blog-prod-web-0-r1',
        specHash: 'h1',
        release: 'r1',
        state: 'running',
        networks: ['acme-prod'],
      }),
    ]);
    expect(fake.ops()).toEqual(['listContainers']);
    expect((await observeListed(fake, 'acme', { all: true })).map((c) => c.key)).toEqual(['blog/prod/web/0', 'blog/staging/web/0']);
  });

  it('listOwned narrows by labels and never returns another project', async () => {
    const fake = await engine();
    expect((await listOwned(fake, 'acme', { 'slipway.env': 'staging' }, { all: true })).map((c) => c.name)).toEqual(['acme-blog-staging-web-0-r1']);
    expect(fake.calls('listContainers')[0]).toEqual([{ 'slipway.project': 'acme', 'slipway.env': 'staging' }, { all: true }]);
    expect((await listOwned(fake, 'other', {}, { all: true })).map((c) => c.name)).toEqual(['other-web']);
  });

  it('observedEnvs: every environment with a network or a container of the project, locks included', async () => {
    expect(await observedEnvs(await engine(), 'acme')).toEqual(['dev', 'prod', 'qual', 'staging']);
  });
});
