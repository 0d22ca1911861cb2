// Tests for the recording FakeEngine: transcripts, Docker-like rules, and programmable behaviour.
import { describe, expect, it } from 'vitest';
import type { CreateContainerSpec } from './docker-engine.ts';
import { BuildError, EngineError, ExecError } from './engine-errors.ts';
import { FakeEngine } from './fake-engine.ts';
import { packTar, unpackTar } from './tar.ts';

const spec = (over: Partial<CreateContainerSpec> = {}): CreateContainerSpec => ({
  name: 'acme-blog-prod-web-0-r1',
  image: 'busybox:1.36',
  env: { PORT: '3000', SECRET_KEY: 'hunter2-super-secret' },
  labels: { 'slipway.project': 'acme', 'slipway.role': 'app' },
  networks: [
    { name: 'acme-prod', aliases: ['blog-prod-web'] },
    { name: 'acme-prod-edge', aliases: ['blog-prod-web'] },
  ],
  mounts: [],
  restart: 'unless-stopped',
  stopTimeoutS: 5,
  ...over,
});

async function withNetworks(fake: FakeEngine): Promise<void> {
  await fake.createNetwork({ name: 'acme-prod', labels: { 'slipway.project': 'acme' } });
  await fake.createNetwork({ name: 'acme-prod-edge', labels: { 'slipway.project': 'acme' } });
}

describe('FakeEngine transcript', () => {
  it('records each call in order, with env keys only', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    await withNetworks(fake);
    const id = await fake.createContainer(spec());
    await fake.startContainer(id);
    await fake.exec(id, ['psql', '-c', 'select 1'], { env: { PGPASSWORD: 'pw-value-xyz' }, stdin: 'CREATE USER x PASSWORD pw-value-xyz' });
    await fake.stopContainer(id, 5);
    await fake.removeContainer(id);

    expect(fake.ops()).toEqual(['createNetwork', 'createNetwork', 'createContainer', 'startContainer', 'exec', 'stopContainer', 'removeContainer']);
    const [created] = fake.calls('createContainer')[0] as [Record<string, unknown>];
    expect(created).toMatchObject({ name: 'acme-blog-prod-web-0-r1', envKeys: ['PORT', 'SECRET_KEY'] });
    expect(created).not.toHaveProperty('env');
    expect(fake.calls('exec')[0]).toEqual([id, ['psql', '-c', 'select 1'], { envKeys: ['PGPASSWORD'], stdinBytes: 35 }]);
    const all = JSON.stringify(fake.transcript);
    expect(all).not.toContain('hunter2-super-secret');
    expect(all).not.toContain('pw-value-xyz');
  });

  it('records runOnce as one entry and leaves no container behind', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    await withNetworks(fake);
    fake.clearTranscript();
    fake.onStart('acme-blog-prod-migrate', { exitCode: 3, logs: 'migrating\nfailed\n' });
    const r = await fake.runOnce(spec({ name: 'acme-blog-prod-migrate-r1', restart: 'no' }), { timeoutMs: 1000 });
    expect(r).toEqual({ exitCode: 3, logs: 'migrating\nfailed\n', timedOut: false });
    expect(fake.ops()).toEqual(['runOnce']);
    expect(fake.containers.size).toBe(0);
  });

  it('runOnce times out a container that keeps running', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    const r = await fake.runOnce(spec({ networks: [] }), { timeoutMs: 10 });
    expect(r).toMatchObject({ exitCode: 137, timedOut: true });
    expect(fake.containers.size).toBe(0);
  });
});

describe('FakeEngine Docker rules', () => {
  it('refuses duplicate names, missing images and missing networks', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    await withNetworks(fake);
    await fake.createContainer(spec());
    await expect(fake.createContainer(spec())).rejects.toMatchObject({ statusCode: 409, server: 'web1' });
    await expect(fake.createContainer(spec({ name: 'b', image: 'node:20-slim' }))).rejects.toMatchObject({ statusCode: 404 });
    await expect(fake.createContainer(spec({ name: 'c', networks: [{ name: 'nope', aliases: [] }] }))).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses to remove running containers, in-use networks and volumes', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    await withNetworks(fake);
    await fake.createVolume({ name: 'acme-prod-blog-media', labels: {} });
    const id = await fake.createContainer(spec({ mounts: [{ volume: 'acme-prod-blog-media', target: '/media' }] }));
    await fake.startContainer(id);
    await expect(fake.removeContainer(id)).rejects.toMatchObject({ statusCode: 409 });
    await expect(fake.removeNetwork('acme-prod')).rejects.toBeInstanceOf(EngineError);
    await expect(fake.removeVolume('acme-prod-blog-media')).rejects.toMatchObject({ statusCode: 409 });
    await fake.removeContainer(id, { force: true });
    await fake.removeNetwork('acme-prod');
    await fake.removeVolume('acme-prod-blog-media');
    await expect(fake.removeVolume('acme-prod-blog-media')).rejects.toMatchObject({ notFound: true });
  });

  it('filters lists by labels and shows network aliases in inspect', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    await withNetworks(fake);
    await fake.createNetwork({ name: 'other', labels: { 'slipway.project': 'zzz' } });
    const id = await fake.createContainer(spec({ memory: 64 * 1024 * 1024, healthcheck: { test: ['true'] } }));
    expect((await fake.listNetworks({ 'slipway.project': 'acme' })).map((n) => n.name)).toEqual(['acme-prod', 'acme-prod-edge']);
    expect(await fake.listContainers({ 'slipway.project': 'acme' })).toEqual([]);
    expect(await fake.listContainers({ 'slipway.project': 'acme' }, { all: true })).toHaveLength(1);
    await fake.startContainer(id);
    const info = await fake.inspectContainer('acme-blog-prod-web-0-r1');
    expect(info).toMatchObject({ state: 'running', health: 'healthy', memoryLimit: 64 * 1024 * 1024, envKeys: ['PORT', 'SECRET_KEY'] });
    expect(info.networks).toEqual([
      { name: 'acme-prod', aliases: ['blog-prod-web'] },
      { name: 'acme-prod-edge', aliases: ['blog-prod-web'] },
    ]);
    fake.setHealth(id, 'unhealthy');
    expect((await fake.inspectContainer(id)).health).toBe('unhealthy');
  });
});

describe('FakeEngine programmable behaviour', () => {
  it('answers exec by argv prefix and throws ExecError when checked', async () => {
    const fake = new FakeEngine('db1', { images: ['postgres:17'] });
    const id = await fake.createContainer(spec({ name: 'acme-pg', image: 'postgres:17', networks: [] }));
    await fake.startContainer(id);
    fake.onExec(['pg_isready'], { exitCode: 0, stdout: 'accepting connections\n' });
    fake.onExec(['psql'], ({ opts }) => ({ exitCode: String(opts.stdin).includes('DROP') ? 1 : 0, stderr: 'ERROR: denied\n' }));
    expect(await fake.exec(id, ['pg_isready', '-q'])).toEqual({ exitCode: 0, stdout: 'accepting connections\n', stderr: '' });
    expect((await fake.exec(id, ['psql'], { stdin: 'SELECT 1' })).exitCode).toBe(0);
    const err = await fake.exec(id, ['psql'], { stdin: 'DROP TABLE x', check: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect(err).toMatchObject({ argv: ['psql'], host: 'db1/' + id, exitCode: 1 });
    await fake.stopContainer(id, 1);
    await expect(fake.exec(id, ['true'])).rejects.toMatchObject({ statusCode: 409 });
  });

  it('simulates builds, failures and image moves', async () => {
    const fake = new FakeEngine('web1');
    const lines: string[] = [];
    const ctx = await packTar([{ path: 'Dockerfile', content: 'FROM busybox:1.36\n' }]);
    const built = await fake.buildImage({
      contextTar: ctx,
      tag: 'acme/blog:r1',
      dockerfile: 'Dockerfile',
      buildArgs: { TOKEN: 'tok-secret' },
      labels: { a: 'b' },
      onProgress: (l) => lines.push(l),
    });
    expect(await fake.imageInspect('acme/blog:r1')).toEqual({ id: built.id, tags: ['acme/blog:r1'], labels: { a: 'b' } });
    expect(fake.calls('buildImage')[0]).toEqual([
      { tag: 'acme/blog:r1', dockerfile: 'Dockerfile', labels: { a: 'b' }, buildArgKeys: ['TOKEN'], files: ['Dockerfile'] },
    ]);
    fake.onBuild(() => ({
      log: ['Step 1/2 : FROM busybox:1.36', 'Step 2/2 : RUN false'],
      error: "The command '/bin/sh -c false' returned a non-zero code: 1",
    }));
    const err = await fake
      .buildImage({ contextTar: ctx, tag: 'acme/blog:r2', dockerfile: 'Dockerfile', buildArgs: {}, labels: {}, onProgress: (l) => lines.push(l) })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.logTail).toContain('Step 2/2 : RUN false');
    expect(lines).toEqual(['Step 1/2 : FROM busybox:1.36', 'Step 2/2 : RUN false']);

    const other = new FakeEngine('web2');
    await other.loadImage(await fake.saveImage('acme/blog:r1'));
    expect((await other.imageInspect('acme/blog:r1'))?.id).toBe(built.id);
  });

  it('injects failures once, and simulates an unreachable engine', async () => {
    const fake = new FakeEngine('web1');
    fake.failOn('createNetwork', { detail: 'boom' });
    await expect(fake.createNetwork({ name: 'n', labels: {} })).rejects.toThrow('web1: createNetwork failed: boom');
    await fake.createNetwork({ name: 'n', labels: {} });
    fake.reachable = false;
    await expect(fake.ping()).rejects.toThrow(/cannot reach/);
  });

  it('stores files written by putArchive and reads them back with getArchive', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    const id = await fake.createContainer(spec({ networks: [] }));
    await fake.putArchive(
      id,
      '/etc/app',
      await packTar([
        { path: 'config.json', content: '{"a":1}' },
        { path: 'sub/b.txt', content: 'b' },
      ]),
    );
    expect(fake.readFile(id, '/etc/app/config.json')).toBe('{"a":1}');
    expect((await unpackTar(await fake.getArchive(id, '/etc/app/config.json'))).map((e) => [e.path, e.content.toString()])).toEqual([
      ['config.json', '{"a":1}'],
    ]);
    expect((await unpackTar(await fake.getArchive(id, '/etc/app'))).map((e) => e.path).sort()).toEqual(['app/config.json', 'app/sub/b.txt']);
    expect(fake.calls('putArchive')[0]).toEqual([id, '/etc/app', { files: ['config.json', 'sub/b.txt'] }]);
  });

  it('waitContainer resolves when the container exits; logs honour tail', async () => {
    const fake = new FakeEngine('web1', { images: ['busybox:1.36'] });
    const id = await fake.createContainer(spec({ networks: [] }));
    fake.onStart(() => true, { logs: 'a\nb\nc\n', memUsage: 1234 });
    await fake.startContainer(id);
    expect(await fake.stats(id)).toEqual({ memUsage: 1234, memLimit: 8 * 1024 ** 3 });
    const waiting = fake.waitContainer(id);
    fake.exitContainer(id, 42);
    expect(await waiting).toBe(42);
    expect(await fake.containerLogs(id, { tail: 2 })).toBe('b\nc\n');
  });
});
