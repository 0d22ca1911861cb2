// Integration suite for the test harness itself: the engine, the look-alike images, the echo
// app in a container, postgres/redis contracts and the simulated SSH hosts. Needs root and
// Docker (scripts/engine.sh); it fails, never skips, when that infrastructure is missing.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEchoImage, containerIp, docker, removeQuietly, waitForHttp } from './harness/docker.ts';
import { ensureEngine, ensureImages, hasImage } from './harness/engine.ts';
import { hostsUp, loadImagesIntoHosts, sshExec } from './harness/hosts.ts';
import { run } from './harness/run.ts';
import { packTar } from '../src/engine/tar.ts';

const id = randomBytes(3).toString('hex');
const NET = `slipway-harness-${id}`;
const ECHO_TAG = `slipway-harness-echo:${id}`;
const containers: string[] = [];

/** Starts a detached container on the test network and remembers it for cleanup. */
async function start(name: string, args: readonly string[]): Promise<string> {
  const full = `slipway-harness-${id}-${name}`;
  containers.push(full);
  await docker(['run', '-d', '--name', full, '--network', NET, ...args]);
  return full;
}

/** Sends one inline Redis command over TCP and returns the first reply line. */
function redisCommand(host: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port: 6379, timeout: 3_000 });
    let buf = '';
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        sock.destroy();
        resolve(buf.split('\r\n')[0] ?? '');
      }
    });
    sock.on('timeout', () => {
      sock.destroy();
      reject(new Error(`redis ${host}:6379 timed out`));
    });
    sock.on('error', reject);
  });
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['busybox', 'node']);
  await docker(['network', 'create', NET]);
});

afterAll(async () => {
  await removeQuietly('container', containers);
  await removeQuietly('network', [NET]);
  await removeQuietly('image', [ECHO_TAG]);
});

describe('engine and base images', () => {
  it('the engine answers', async () => {
    const info = await ensureEngine();
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
  });

  it('busybox:1.36, mini:1 and node:20-slim exist', async () => {
    for (const tag of ['busybox:1.36', 'mini:1', 'node:20-slim']) expect(await hasImage(tag), tag).toBe(true);
  });

  it('node -e runs in node:20-slim, with a shell and a writable /tmp', async () => {
    const out = await docker([
      'run',
      '--rm',
      'node:20-slim',
      'node',
      '-e',
      'require("fs").writeFileSync("/tmp/x", "ok"); console.log(process.versions.node.split(".")[0], require("fs").readFileSync("/tmp/x", "utf8"))',
    ]);
    expect(out).toBe('20 ok');
    expect(await docker(['run', '--rm', 'node:20-slim', 'sh', '-c', 'echo $((6*7))'])).toBe('42');
  });

  it('busybox:1.36 runs a shell by default', async () => {
    expect(await docker(['run', '--rm', 'busybox:1.36', 'sh', '-c', 'echo hi'])).toBe('hi');
  });

  it('images.sh is idempotent: a second run keeps the existing images (same ids), rebuilding nothing', async () => {
    const ids = () => docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox:1.36', 'node:20']);
    const before = await ids();
    await ensureImages(['busybox', 'node']);
    expect(await ids()).toBe(before);
  });

  it('images.sh rejects an unknown target with a clear error', async () => {
    await expect(run(['bash', 'scripts/images.sh', 'no-such-image'])).rejects.toThrow(/unknown target 'no-such-image'/);
  });

  describe('images.sh never retags over an existing image', () => {
    // Its own tag namespace (ns/busybox:1.36, ns/mini:1): the shared tags stay untouched.
    const ns = `slipway-images-test-${id}`;
    const env = { ...process.env, SLIPWAY_IMAGES_NAMESPACE: ns };
    const images = (...args: string[]) => run(['bash', 'scripts/images.sh', ...args], { env, timeoutMs: 300_000 });
    const idOf = async (tag: string) => docker(['image', 'inspect', '--format', '{{.Id}}', tag]);
    const label = async (tag: string) => docker(['image', 'inspect', '--format', '{{index .Config.Labels "org.slipway.look-alike"}}', tag]);
    const [busybox, mini, lookAlike] = [`${ns}/busybox:1.36`, `${ns}/mini:1`, `slipway-look-alike/${ns}-busybox:latest`];

    afterAll(async () => {
      await removeQuietly('image', [busybox, mini, lookAlike]);
    });

    it('keeps an image that already has the tag (also with --force), and aliases to it', async () => {
      // a user's own image under that name (imported: it inherits no look-alike label)
      const rootfs = await packTar([{ path: 'README', content: 'not a Slipway look-alike\n' }]);
      await docker(['import', '-', busybox], { input: rootfs.toString('latin1') });
      const mine = await idOf(busybox);
      await images('busybox');
      expect(await idOf(busybox)).toBe(mine);
      expect(await idOf(mini)).toBe(mine);
      const forced = await images('--force', 'busybox');
      expect(forced.stderr).toMatch(/not Slipway look-alikes, kept/);
      expect(await idOf(busybox)).toBe(mine);
    });

    it('builds a labelled look-alike for missing tags, and --force rebuilds only look-alikes', async () => {
      await removeQuietly('image', [busybox, mini]);
      await images('--no-pull', 'busybox');
      expect(await label(busybox)).toBe('busybox');
      const first = await idOf(busybox);
      expect(await idOf(mini)).toBe(first);
      expect(await docker(['run', '--rm', busybox, 'sh', '-c', 'echo look-alike'])).toBe('look-alike');
      await images('--force', 'busybox');
      const rebuilt = await idOf(busybox);
      expect(await label(busybox)).toBe('busybox');
      expect(await idOf(mini)).toBe(rebuilt);
    });
  });
});

describe('echo app', () => {
  beforeAll(async () => {
    await buildEchoImage(ECHO_TAG, { release: `r-${id}` });
  });

  it('answers /health and / from a container on a user-defined network', async () => {
    const c = await start('echo', ['-e', 'SLIPWAY_APP=shop', '-e', 'SLIPWAY_ENV=staging', ECHO_TAG]);
    const ip = await containerIp(c, NET);
    const health = await waitForHttp(`http://${ip}:8000/health`);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    for (const path of ['/api/health', '/api/health/']) {
      expect((await fetch(`http://${ip}:8000${path}`)).status).toBe(200);
    }
    const root = JSON.parse(await (await fetch(`http://${ip}:8000/`)).text());
    expect(root).toMatchObject({ app: 'shop', env: 'staging', release: `r-${id}` });
    expect(typeof root.hostname).toBe('string');
  });

  it('probe reports DNS and TCP reachability from inside the container', async () => {
    const target = await start('probe-target', [ECHO_TAG]);
    const c = await start('prober', [ECHO_TAG]);
    const ip = await containerIp(c, NET);
    await waitForHttp(`http://${ip}:8000/health`);
    const ok = await (await fetch(`http://${ip}:8000/probe?host=${target}&port=8000`)).json();
    expect(ok).toMatchObject({ reachable: true, dns: { ok: true }, tcp: { ok: true } });
    const bad = await (await fetch(`http://${ip}:8000/probe?host=no-such-host-${id}&port=8000`)).json();
    expect(bad).toMatchObject({ reachable: false, dns: { ok: false } });
  });

  it('FAIL_HEALTH=1 makes /health answer 503', async () => {
    const c = await start('sick', ['-e', 'FAIL_HEALTH=1', ECHO_TAG]);
    const ip = await containerIp(c, NET);
    await waitForHttp(`http://${ip}:8000/health`, { expectStatus: 503 });
  });

  it('stops on SIGTERM (docker stop): exit code 0, not the SIGKILL after the grace period', async () => {
    const c = await start('stopper', [ECHO_TAG]);
    await waitForHttp(`http://${await containerIp(c, NET)}:8000/health`);
    await docker(['stop', c]);
    expect(await docker(['inspect', '--format', '{{.State.ExitCode}}', c])).toBe('0');
  });

  it('release command exits 0, or 1 with FAIL_RELEASE=1', async () => {
    await docker(['run', '--rm', ECHO_TAG, 'node', 'server.js', 'release']);
    await expect(docker(['run', '--rm', '-e', 'FAIL_RELEASE=1', ECHO_TAG, 'node', 'server.js', 'migrate'])).rejects.toThrow(/exit 1/);
  });

  it('MODE=worker logs heartbeats and serves no HTTP', async () => {
    const c = await start('worker', ['-e', 'MODE=worker', '-e', 'HEARTBEAT_MS=200', ECHO_TAG]);
    await new Promise((r) => setTimeout(r, 1_000));
    const { stdout } = await run(['docker', 'logs', c]);
    expect(stdout).toMatch(/heartbeat/);
  });
});

describe('services', () => {
  beforeAll(async () => {
    await ensureImages(['postgres15', 'redis']);
  });

  it('postgres:15 initialises with POSTGRES_* and accepts a password login over TCP', async () => {
    const pg = await start('pg', ['-e', 'POSTGRES_PASSWORD=harness-pw', '-e', 'POSTGRES_USER=app', '-e', 'POSTGRES_DB=appdb', 'postgres:15']);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ready = await run(['docker', 'exec', pg, 'pg_isready', '-h', '127.0.0.1', '-U', 'app']).then(
        () => true,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error('postgres:15 did not become ready in 60 s');
      await new Promise((r) => setTimeout(r, 300));
    }
    const psql = (password: string) =>
      docker([
        'run',
        '--rm',
        '--network',
        NET,
        '-e',
        `PGPASSWORD=${password}`,
        'postgres:15',
        'psql',
        '-h',
        pg,
        '-U',
        'app',
        '-d',
        'appdb',
        '-Atc',
        "select current_user || '@' || current_database()",
      ]);
    expect(await psql('harness-pw')).toBe('app@appdb');
    await expect(psql('wrong-pw')).rejects.toThrow(/password authentication failed/);
  });

  it('redis:7 answers PING on 6379 from the host', async () => {
    const r = await start('redis', ['redis:7']);
    const ip = await containerIp(r, NET);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const reply = await redisCommand(ip, 'PING').catch((e: Error) => e.message);
      if (reply === '+PONG') break;
      if (Date.now() > deadline) throw new Error(`redis:7 did not answer PING (last: ${reply})`);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(await redisCommand(ip, 'SET k v')).toBe('+OK');
  });
});

describe('simulated hosts', () => {
  it('hostA answers docker version over SSH with the harness key, and takes loaded images', async () => {
    const hosts = await hostsUp();
    const info = await docker(['info', '--format', '{{.Name}}'], { dockerHost: hosts.hosts.hostB.dockerHost });
    expect(info).toBe('hostB');
    expect((await sshExec('hostA', ['docker', 'version', '--format', '{{.Server.Version}}'], hosts)).trim()).toMatch(/^\d+\.\d+/);
    expect((await sshExec('hostA', ['hostname'], hosts)).trim()).toBe('hostA');
    await loadImagesIntoHosts(['busybox:1.36'], ['hostA']);
    expect(await docker(['run', '--rm', 'busybox:1.36', 'echo', 'on-hostA'], { dockerHost: hosts.hosts.hostA.dockerHost })).toBe('on-hostA');
  });
});
