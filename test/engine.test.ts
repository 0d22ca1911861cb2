// Integration suite for DockerodeEngine and observe against the real local Docker engine.
// It fails (never skips) when the engine or the busybox:1.36 image is missing: run
// `bash scripts/engine.sh` and `bash scripts/images.sh busybox` first.
import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import Dockerode from 'dockerode';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { CreateContainerSpec } from '../src/engine/docker-engine.ts';
import { DockerodeEngine } from '../src/engine/dockerode-engine.ts';
import { BuildError, EngineError, ExecError } from '../src/engine/engine-errors.ts';
import { packTar, unpackTar } from '../src/engine/tar.ts';
import { observeServer } from '../src/workflows/observe.ts';

const SOCKET = process.env.SLIPWAY_DOCKER_SOCKET ?? '/var/run/docker.sock';
const P = `enginetest-${randomBytes(4).toString('hex')}`;
const engine = new DockerodeEngine('local', { socketPath: SOCKET });
const mine = { 'slipway.project': P };
const NET = `${P}-prod`;
const EDGE = `${P}-prod-edge`;
const VOL = `${P}-prod-blog-media`;
const NAME = `${P}-blog-prod-web-0-r1`;
const TAG = `${P}/blog:r1`;

const webSpec = (): CreateContainerSpec => ({
  name: NAME,
  image: 'busybox:1.36',
  // stdout and stderr are separate pipes: without the pause, their order in the log is not fixed.
  cmd: ['sh', '-c', 'echo "hello from $GREETING"; sleep 0.2; echo "to stderr" >&2; exec sleep 300'],
  env: { GREETING: 'slipway', SECRET_TOKEN: 'tok-0123456789' },
  labels: {
    ...mine,
    'slipway.app': 'blog',
    'slipway.env': 'prod',
    'slipway.process': 'web',
    'slipway.role': 'app',
    'slipway.release': 'r1',
    'slipway.spec-hash': 'hash-r1',
  },
  networks: [
    { name: NET, aliases: ['blog-prod-web'] },
    { name: EDGE, aliases: ['blog-prod-web', 'blog-edge'] },
  ],
  mounts: [{ volume: VOL, target: '/media' }],
  memory: 64 * 1024 * 1024,
  cpus: 0.5,
  restart: 'unless-stopped',
  stopTimeoutS: 1,
  healthcheck: { test: ['true'], intervalMs: 500, timeoutMs: 1000, retries: 3 },
});

const taskSpec = (name: string, script: string): CreateContainerSpec => ({
  name: `${P}-${name}`,
  image: 'busybox:1.36',
  cmd: ['sh', '-c', script],
  env: {},
  labels: { ...mine, 'slipway.app': 'blog', 'slipway.env': 'prod', 'slipway.process': name, 'slipway.role': 'release-task' },
  networks: [{ name: NET, aliases: [] }],
  mounts: [],
  restart: 'no',
  stopTimeoutS: 1,
});

async function cleanup(): Promise<void> {
  for (const c of await engine.listContainers(mine, { all: true })) await engine.removeContainer(c.id, { force: true, volumes: true });
  for (const n of await engine.listNetworks(mine)) await engine.removeNetwork(n.name);
  for (const v of await engine.listVolumes(mine)) await engine.removeVolume(v.name);
  for (const ref of [TAG, `${TAG}-copy`, `${P}/broken:1`]) if (await engine.imageInspect(ref)) await engine.removeImage(ref, { force: true });
}

/** Checked once; every test awaits it, so a missing engine fails each test with this message. */
let ready: Promise<void> | undefined;
let reachable = false;
function engineReady(): Promise<void> {
  ready ??= (async () => {
    try {
      await engine.ping();
    } catch (err) {
      throw new Error(`Docker engine unreachable at ${SOCKET} (${(err as Error).message}). Start it with \`bash scripts/engine.sh\`.`);
    }
    reachable = true;
    if (!(await engine.imageInspect('busybox:1.36'))) {
      throw new Error('image busybox:1.36 is missing on the engine. Build it with `bash scripts/images.sh busybox`.');
    }
  })();
  return ready;
}

beforeEach(() => engineReady());

afterAll(async () => {
  if (!reachable) return;
  await cleanup();
  // Everything this suite made is gone.
  expect(await engine.listContainers(mine, { all: true })).toEqual([]);
  expect(await engine.listNetworks(mine)).toEqual([]);
  expect(await engine.listVolumes(mine)).toEqual([]);
}, 60_000);

describe('DockerodeEngine on a real engine', () => {
  let id = '';

  it('reports engine info', async () => {
    const info = await engine.info();
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    expect(info.ncpu).toBeGreaterThan(0);
    expect(info.memTotal).toBeGreaterThan(0);
  });

  it('creates networks, a volume and a labelled container on two networks', async () => {
    await engine.createNetwork({ name: NET, labels: { ...mine, 'slipway.env': 'prod', 'slipway.network': 'private' } });
    await engine.createNetwork({ name: EDGE, labels: { ...mine, 'slipway.env': 'prod', 'slipway.network': 'edge' }, internal: true });
    await engine.createVolume({ name: VOL, labels: { ...mine, 'slipway.app': 'blog', 'slipway.env': 'prod' } });
    expect((await engine.listNetworks(mine)).map((n) => [n.name, n.internal])).toEqual([
      [NET, false],
      [EDGE, true],
    ]);
    expect((await engine.listVolumes(mine)).map((v) => v.name)).toEqual([VOL]);

    id = await engine.createContainer(webSpec());
    await engine.startContainer(id);
    const info = await engine.inspectContainer(NAME);
    expect(info).toMatchObject({
      id,
      name: NAME,
      image: 'busybox:1.36',
      state: 'running',
      memoryLimit: 64 * 1024 * 1024,
      cpus: 0.5,
      restart: 'unless-stopped',
    });
    expect(info.networks).toEqual([
      { name: NET, aliases: ['blog-prod-web'] },
      { name: EDGE, aliases: ['blog-prod-web', 'blog-edge'] },
    ]);
    expect(info.ipAddresses[NET]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(info.mounts).toEqual([{ volume: VOL, target: '/media' }]);
    expect(info.envKeys).toEqual(expect.arrayContaining(['GREETING', 'SECRET_TOKEN']));
    expect(JSON.stringify(info)).not.toContain('tok-0123456789');
  });

  it('refuses a duplicate name with a 409 EngineError naming the server', async () => {
    const err = await engine.createContainer(webSpec()).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.conflict).toBe(true);
    expect(err.message).toMatch(new RegExp(`^local: createContainer ${NAME} failed: .*already in use`));
    expect(err.message).not.toContain('tok-0123456789');
  });

  it('resolves the aliases on both networks from another container', async () => {
    const r = await engine.runOnce(
      { ...taskSpec('dns', 'nslookup blog-prod-web && nslookup blog-edge'), networks: [{ name: EDGE, aliases: [] }] },
      { timeoutMs: 10_000 },
    );
    expect(r.exitCode, r.logs).toBe(0);
    const r2 = await engine.runOnce(taskSpec('dns2', 'nslookup blog-edge'), { timeoutMs: 10_000 });
    expect(r2.exitCode, 'blog-edge is an alias on the edge network only').not.toBe(0);
  });

  it('execs argv with env, stdin, exit codes and check', async () => {
    expect(await engine.exec(id, ['sh', '-c', 'echo out; echo err >&2; exit 4'])).toEqual({ exitCode: 4, stdout: 'out\n', stderr: 'err\n' });
    expect((await engine.exec(id, ['sh', '-c', 'echo $A-$GREETING'], { env: { A: 'x' } })).stdout).toBe('x-slipway\n');
    expect((await engine.exec(id, ['cat'], { stdin: 'piped in\n' })).stdout).toBe('piped in\n');
    expect((await engine.exec(id, ['id', '-u'], { user: '1234' })).stdout).toBe('1234\n');
    const err = await engine.exec(id, ['sh', '-c', 'echo nope >&2; exit 7'], { check: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect(err).toMatchObject({ argv: ['sh', '-c', 'echo nope >&2; exit 7'], host: `local/${id}`, exitCode: 7, stderr: 'nope\n' });
  });

  it('puts an archive and reads it back', async () => {
    await engine.exec(id, ['mkdir', '-p', '/etc/app'], { check: true });
    await engine.putArchive(
      id,
      '/etc/app',
      await packTar([
        { path: 'config.json', content: '{"ok":true}\n' },
        { path: 'bin/run.sh', content: '#!/bin/sh\necho ran\n', mode: 0o755 },
      ]),
    );
    expect((await engine.exec(id, ['cat', '/etc/app/config.json'])).stdout).toBe('{"ok":true}\n');
    expect((await engine.exec(id, ['/etc/app/bin/run.sh'])).stdout).toBe('ran\n');
    const files = await unpackTar(await engine.getArchive(id, '/etc/app/config.json'));
    expect(files.map((f) => [f.path, f.content.toString()])).toEqual([['config.json', '{"ok":true}\n']]);
    const dir = await unpackTar(await engine.getArchive(id, '/etc/app'));
    expect(
      dir
        .filter((f) => f.type === 'file')
        .map((f) => f.path)
        .sort(),
    ).toEqual(['app/bin/run.sh', 'app/config.json']);
  });

  it('reads logs (demultiplexed), with tail and follow', async () => {
    expect(await engine.containerLogs(id)).toBe('hello from slipway\nto stderr\n');
    expect(await engine.containerLogs(id, { tail: 1 })).toBe('to stderr\n');
    const stream = await engine.containerLogs(id, { follow: true, tail: 1 });
    const first = await new Promise<string>((resolve) => stream.once('data', (c: Buffer) => resolve(c.toString())));
    stream.destroy();
    expect(first).toBe('to stderr\n');
  });

  it('reports one-shot stats and health', async () => {
    const s = await engine.stats(id);
    expect(s.memLimit).toBe(64 * 1024 * 1024);
    expect(s.memUsage).toBeGreaterThan(0);
    let health = '';
    for (let i = 0; i < 50 && health !== 'healthy'; i++) {
      health = (await engine.inspectContainer(id)).health;
      if (health !== 'healthy') await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toBe('healthy');
  });

  it('observe maps it back', async () => {
    const observed = await observeServer(engine, P, 'local');
    expect(observed.networks.map((n) => n.name)).toEqual([NET, EDGE]);
    expect(observed.volumes).toEqual([{ name: VOL, labels: { ...mine, 'slipway.app': 'blog', 'slipway.env': 'prod' } }]);
    expect(observed.containers).toEqual([
      {
        id,
        name: NAME,
        key: 'blog/prod/web/0',
        role: 'app',
        image: 'busybox:1.36',
        // The image's own labels (a look-alike image carries one) are merged in by Docker.
        labels: expect.objectContaining(webSpec().labels),
        specHash: 'hash-r1',
        release: 'r1',
        state: 'running',
        health: 'healthy',
        createdAt: expect.stringMatching(/^\d{4}-/),
        networks: [NET, EDGE].sort(),
      },
    ]);
  });

  it('renames, stops, waits and removes', async () => {
    await engine.renameContainer(id, `${NAME}-old`);
    expect((await engine.inspectContainer(id)).name).toBe(`${NAME}-old`);
    await expect(engine.removeContainer(id)).rejects.toMatchObject({ conflict: true });
    await engine.disconnectNetwork(EDGE, id);
    expect((await engine.inspectContainer(id)).networks.map((n) => n.name)).toEqual([NET]);
    await engine.stopContainer(id, 1);
    await engine.stopContainer(id, 1); // already stopped: no error
    expect(await engine.waitContainer(id)).toBe(137); // sleep ignores SIGTERM as PID 1
    expect((await engine.inspectContainer(id)).state).toBe('exited');
    await engine.connectNetwork(EDGE, id, ['late-alias']);
    expect((await engine.inspectContainer(id)).networks.find((n) => n.name === EDGE)?.aliases).toEqual(['late-alias']);
    await engine.removeContainer(id);
    const err = await engine.inspectContainer(id).catch((e) => e);
    expect(err).toBeInstanceOf(EngineError);
    expect(err.notFound).toBe(true);
    expect((await observeServer(engine, P, 'local')).containers).toEqual([]);
  });
});

describe('images', () => {
  it('builds from an in-memory tar with labels and build args, streaming progress', async () => {
    const lines: string[] = [];
    const ctx = await packTar([
      { path: 'Dockerfile', content: 'FROM busybox:1.36\nARG GREETING\nRUN echo "built with $GREETING" > /greeting\nCOPY app.txt /app.txt\n' },
      { path: 'app.txt', content: 'app v1\n' },
    ]);
    const built = await engine.buildImage({
      contextTar: ctx,
      tag: TAG,
      dockerfile: 'Dockerfile',
      buildArgs: { GREETING: 'args' },
      labels: { ...mine, 'slipway.release': 'r1' },
      onProgress: (l) => lines.push(l),
    });
    expect(built.id).toMatch(/^sha256:/);
    expect(lines.some((l) => l.startsWith('Step 1/'))).toBe(true);
    const img = await engine.imageInspect(TAG);
    expect(img).toMatchObject({ id: built.id, tags: [TAG] });
    expect(img?.labels).toMatchObject({ 'slipway.release': 'r1', 'slipway.project': P });
    // The same context as a stream builds the same image (from the layer cache).
    const again = await engine.buildImage({
      contextTar: Readable.from([ctx]),
      tag: TAG,
      dockerfile: 'Dockerfile',
      buildArgs: { GREETING: 'args' },
      labels: { ...mine, 'slipway.release': 'r1' },
    });
    expect(again.id).toBe(built.id);
    const r = await engine.runOnce({ ...taskSpec('check', 'cat /greeting /app.txt'), image: TAG }, { timeoutMs: 10_000 });
    expect(r).toEqual({ exitCode: 0, logs: 'built with args\napp v1\n', timedOut: false });
  });

  it('raises BuildError with the log when a build fails', async () => {
    const ctx = await packTar([{ path: 'Dockerfile', content: 'FROM busybox:1.36\nRUN echo "about to fail" && exit 5\n' }]);
    const err = await engine.buildImage({ contextTar: ctx, tag: `${P}/broken:1`, dockerfile: 'Dockerfile', buildArgs: {}, labels: mine }).catch((e) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect(err.server).toBe('local');
    expect(err.logTail.join('\n')).toContain('about to fail');
    expect(err.message).toMatch(/returned a non-zero code: 5/);
    const missing = await engine
      .buildImage({ contextTar: ctx, tag: `${P}/broken:1`, dockerfile: 'Nope.Dockerfile', buildArgs: {}, labels: mine })
      .catch((e) => e);
    expect(missing).toBeInstanceOf(BuildError);
    expect(await engine.imageInspect(`${P}/broken:1`)).toBeNull();
  });

  it('tags, saves, removes and loads an image back', async () => {
    await engine.tagImage(TAG, `${TAG}-copy`);
    const copy = await engine.imageInspect(`${TAG}-copy`);
    expect(copy?.tags.sort()).toEqual([TAG, `${TAG}-copy`].sort());
    await engine.removeImage(`${TAG}-copy`);
    const id = copy!.id;
    const chunks: Buffer[] = [];
    for await (const c of await engine.saveImage(TAG)) chunks.push(c as Buffer);
    const tar = Buffer.concat(chunks);
    expect((await unpackTar(tar)).some((e) => e.path === 'manifest.json')).toBe(true);
    await engine.removeImage(TAG);
    expect(await engine.imageInspect(TAG)).toBeNull();
    await engine.loadImage(tar);
    expect((await engine.imageInspect(TAG))?.id).toBe(id);
  });
});

describe('custom transport (as an SSH tunnel would plug in)', () => {
  it('works through an http.Agent that opens its own stream to the socket, exec included', async () => {
    // createConnection is honoured by http.Agent but absent from its typings.
    let opened = 0;
    const agent = Object.assign(new Agent({ keepAlive: true }), {
      createConnection: () => {
        opened++;
        return connect(SOCKET);
      },
    });
    const tunneled = new DockerodeEngine('tunnel', { protocol: 'http', host: 'docker', port: 80, agent });
    await tunneled.ping();
    await engine.createNetwork({ name: NET, labels: mine }).catch((e) => (e.conflict ? undefined : Promise.reject(e)));
    const id = await tunneled.createContainer({ ...taskSpec('tunnel', 'exec sleep 30'), stopTimeoutS: 0 });
    try {
      await tunneled.startContainer(id);
      expect(await tunneled.exec(id, ['cat'], { stdin: 'through the agent' })).toEqual({ exitCode: 0, stdout: 'through the agent', stderr: '' });
      expect((await observeServer(tunneled, P, 'tunnel')).containers.map((c) => c.key)).toEqual(['blog/prod/tunnel/0']);
    } finally {
      await tunneled.removeContainer(id, { force: true });
    }
    expect(opened).toBeGreaterThan(0);
    agent.destroy();
  });
});

describe('runOnce', () => {
  it('returns exit codes 0 and 3 with logs, and removes the container', async () => {
    await engine.createNetwork({ name: NET, labels: mine }).catch((e) => (e.conflict ? undefined : Promise.reject(e)));
    expect(await engine.runOnce(taskSpec('ok', 'echo migrated'), { timeoutMs: 10_000 })).toEqual({ exitCode: 0, logs: 'migrated\n', timedOut: false });
    expect(await engine.runOnce(taskSpec('fail', 'echo oops >&2; exit 3'), { timeoutMs: 10_000 })).toEqual({ exitCode: 3, logs: 'oops\n', timedOut: false });
    expect(await engine.listContainers(mine, { all: true })).toEqual([]);
  });

  it('kills a task that runs past its timeout', async () => {
    const r = await engine.runOnce(taskSpec('slow', 'echo started; sleep 30'), { timeoutMs: 500 });
    // Killed (137), not the sleep's own end: the task was stopped at its timeout.
    expect(r).toMatchObject({ timedOut: true, exitCode: 137, logs: 'started\n' });
    expect(await engine.listContainers(mine, { all: true })).toEqual([]);
  });
});

describe('runStreaming', () => {
  it("streams stdout (binary) and stderr to the reader only: the daemon keeps no log file of them (log driver 'none')", async () => {
    await engine.createNetwork({ name: NET, labels: mine }).catch((e) => (e.conflict ? undefined : Promise.reject(e)));
    const run = await engine.runStreaming(taskSpec('stream', 'head -c 3000000 /dev/urandom | tee /tmp/sent | sha256sum >&2; cat /tmp/sent; sleep 1'));
    const info = await engine.inspectContainer(run.id);
    const raw = (await new Dockerode({ socketPath: SOCKET }).getContainer(run.id).inspect()) as { HostConfig: { LogConfig: { Type: string } } };
    expect([info.id, raw.HostConfig.LogConfig.Type]).toEqual([run.id, 'none']);
    const out = Buffer.concat(await run.stdout.toArray());
    const done = await run.done;
    expect(out.length).toBe(3_000_000);
    expect(done).toEqual({ exitCode: 0, stderr: `${createHash('sha256').update(out).digest('hex')}  -\n` });
  });
});
