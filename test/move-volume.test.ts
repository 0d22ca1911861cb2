// Incremental volume copy between the two simulated servers (hostA → hostB, each engine reached
// over SSH with the harness key), as `move` uses it: a first full copy, then deltas. Data: a few
// hundred files in nested folders, a 20 MB file, a symlink, an empty folder, names with spaces and
// a newline, modes 0600/0755 and a non-root owner. Run with each helper image (nginx's GNU tools,
// caddy's, and busybox's). Also: a copy killed mid-stream converges on the next run. Hosts are
// shared: this suite removes only its own project's objects and never takes hosts down.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../src/config/fleet.ts';
import type { DockerEngine } from '../src/engine/docker-engine.ts';
import { connectSsh, type SshServerConnection } from '../src/engine/ssh-connect.ts';
import { listVolume } from '../src/workflows/move/volume-list.ts';
import { syncVolume, volumeDigest, type VolumeSide } from '../src/workflows/move/volume-sync.ts';
import { ensureImages } from './harness/engine.ts';
import { hostsUp, loadImagesIntoHosts, type HarnessHostName, type HarnessHosts } from './harness/hosts.ts';
import { cleanupProjectOn, hostDocker } from './support/multi-hosts.ts';
import { uniqueProject } from './support/project.ts';

const project = uniqueProject('mvol');
let hosts: HarnessHosts;
const conns: Partial<Record<HarnessHostName, SshServerConnection>> = {};
const docker: Partial<Record<HarnessHostName, Docker>> = {};
const figures: Record<string, unknown> = {};

const SEED = `set -e
cd /v
mkdir -p a/b/c "dir with space/inner" empty
i=1
while [ $i -le 300 ]; do
  d=a; [ $((i % 3)) = 1 ] && d=a/b; [ $((i % 3)) = 2 ] && d=a/b/c
  echo "file $i of the seed" > "$d/f$i.txt"
  i=$((i + 1))
done
head -c 20971520 /dev/urandom > big.bin
echo spaced > "dir with space/inner/name with space.txt"
echo newline > "$(printf 'new\\nline.txt')"
ln -s a/b/f1.txt link-to-f1
echo secret > private.key; chmod 600 private.key
echo run > a/run.sh; chmod 755 a/run.sh; chmod 755 a/b/c
echo owned > owned.txt; chown 1234:2345 owned.txt
find . -mindepth 1 -exec touch -h -m -t 202401011200.00 {} +`;

// Two files changed (one the same size), one added, one deleted; mtimes set, as a writer's would differ.
const CHANGE = `set -e
cd /v
echo "file 7 CHANGED" > a/b/f7.txt
echo "file 8 of the SEED" > a/b/c/f8.txt
echo added > "dir with space/added file.txt"
rm a/f9.txt
touch -m -t 202402011200.00 a/b/f7.txt a/b/c/f8.txt "dir with space/added file.txt" a a/b a/b/c "dir with space"`;

function server(host: HarnessHostName): Server {
  return {
    name: host,
    transport: { kind: 'ssh', user: 'root', host: hosts.hosts[host].ip, port: 22, identity: hosts.sshKeyPath },
    proxy: 'caddy',
    httpPort: 80,
  };
}

const engine = (host: HarnessHostName): DockerEngine => conns[host]!.engine;

/** Runs a busybox script on `host` with `volume` mounted read-write at /v. */
async function onVolume(host: HarnessHostName, volume: string, script: string): Promise<void> {
  const r = await engine(host).runOnce(
    {
      name: `${project}-seed-${Math.random().toString(36).slice(2, 8)}`,
      image: 'busybox:1.36',
      cmd: ['sh', '-c', script],
      env: {},
      labels: { 'slipway.project': project },
      networks: [],
      mounts: [{ volume, target: '/v' }],
      restart: 'no',
      stopTimeoutS: 1,
      user: '0:0',
    },
    { timeoutMs: 120_000 },
  );
  expect(r.exitCode, r.logs).toBe(0);
}

const side = (host: HarnessHostName, volume: string, helperImage: string): VolumeSide => ({ engine: engine(host), server: host, volume, helperImage, project });

/** Every entry's type, size, mode, owner (and mtime, symlink target) on one side, by path. */
async function tree(s: VolumeSide): Promise<Record<string, string>> {
  const l = await listVolume(s);
  const out: Record<string, string> = {};
  for (const e of l.entries.values())
    out[e.path] = `${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid}${e.type === 'file' ? ` ${e.size} ${e.mtime}` : ''}${e.target ? ` -> ${e.target}` : ''}`;
  return out;
}

async function helpersLeft(): Promise<string[]> {
  const all = await Promise.all(
    (['hostA', 'hostB'] as const).map((h) => docker[h]!.listContainers({ all: true, filters: { label: [`slipway.project=${project}`] } })),
  );
  return all.flat().map((c) => c.Names[0] ?? c.Id);
}

beforeAll(async () => {
  hosts = await hostsUp();
  await ensureImages(['busybox', 'nginx', 'caddy']);
  await loadImagesIntoHosts(['nginx:1.27', 'caddy:2', 'busybox:1.36']);
  for (const h of ['hostA', 'hostB'] as const) {
    conns[h] = await connectSsh(server(h), { knownHostsPath: hosts.knownHostsPath });
    docker[h] = hostDocker(hosts, h);
  }
}, 600_000);

afterAll(async () => {
  for (const h of ['hostA', 'hostB'] as const) {
    if (docker[h]) await cleanupProjectOn(docker[h]!, project);
    await conns[h]?.close();
  }
  console.log(`move-volume figures: ${JSON.stringify(figures, null, 1)}`);
}, 300_000);

describe('syncVolume hostA → hostB', () => {
  for (const image of ['nginx:1.27', 'caddy:2', 'busybox:1.36']) {
    it(`copies everything, then only deltas, with helper image ${image}`, async () => {
      const tag = image.split(':')[0]!;
      const volume = `${project}-${tag}-data`;
      const labels = { 'slipway.project': project, 'slipway.app': 'web', 'slipway.env': 'prod' };
      await engine('hostA').createVolume({ name: volume, labels });
      await onVolume('hostA', volume, SEED);
      const src = side('hostA', volume, image);
      const dst = side('hostB', volume, image);
      let progressCalls = 0;

      const first = await syncVolume(src, dst, { onProgress: () => progressCalls++ });
      const [a1, b1] = await Promise.all([volumeDigest(src), volumeDigest(dst)]);
      // 300 seeded + big + spaced + newline + private + run.sh + owned = 306 files, and 1 symlink.
      expect(first).toMatchObject({ files: 306, sent: 307, deleted: 0 });
      expect(first.bytes).toBeGreaterThan(20 * 1024 * 1024);
      expect(first.sentBytes).toBe(first.bytes);
      expect(progressCalls).toBeGreaterThan(0);
      expect(b1).toEqual(a1);
      const dstVol = (await engine('hostB').listVolumes({ 'slipway.project': project })).find((v) => v.name === volume);
      expect(dstVol?.labels).toEqual(labels);
      const [ta, tb] = await Promise.all([tree(src), tree(dst)]);
      expect(tb).toEqual(ta);
      expect(tb['empty']).toBe('dir 755 0:0');
      expect(tb['link-to-f1']).toBe('symlink 777 0:0 -> a/b/f1.txt');
      expect(tb['private.key']).toMatch(/^file 600 0:0 /);
      expect(tb['a/run.sh']).toMatch(/^file 755 0:0 /);
      expect(tb['owned.txt']).toMatch(/^file 644 1234:2345 6 1704110400$/);
      expect(tb['new\nline.txt']).toMatch(/^file /);
      expect(tb['dir with space/inner/name with space.txt']).toMatch(/^file /);

      await onVolume('hostA', volume, CHANGE);
      const second = await syncVolume(src, dst);
      const [a2, b2] = await Promise.all([volumeDigest(src), volumeDigest(dst)]);
      expect(second).toMatchObject({ files: 306, sent: 3, deleted: 1 });
      expect(b2).toEqual(a2);
      expect(b2.digest).not.toBe(b1.digest);
      expect(await tree(dst)).toEqual(await tree(src));

      const third = await syncVolume(src, dst);
      expect(third).toMatchObject({ sent: 0, sentBytes: 0, deleted: 0 });
      expect(await volumeDigest(dst)).toEqual(a2);
      expect(await helpersLeft()).toEqual([]);

      figures[image] = { first, second, third, digest: a2.digest.slice(0, 16) };
    }, 600_000);
  }

  it('a copy killed mid-stream leaves no helper behind, and the next run converges', async () => {
    const volume = `${project}-killed-data`;
    await engine('hostA').createVolume({ name: volume, labels: { 'slipway.project': project } });
    await onVolume('hostA', volume, SEED);
    const src = side('hostA', volume, 'nginx:1.27');
    const dst = side('hostB', volume, 'nginx:1.27');
    let killed = false;
    const failed = await syncVolume(src, dst, {
      onProgress: ({ sentBytes }) => {
        if (killed || sentBytes < 5 * 1024 * 1024) return;
        killed = true;
        // The target's tar -x dies with a file half written.
        void docker.hostB!.listContainers({ filters: { label: [`slipway.project=${project}`, 'slipway.role=move'] } }).then((cs) =>
          Promise.all(
            cs.map((c) =>
              docker
                .hostB!.getContainer(c.Id)
                .kill()
                .catch(() => undefined),
            ),
          ),
        );
      },
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(killed).toBe(true);
    expect(failed).toBeInstanceOf(Error);
    expect(await helpersLeft()).toEqual([]);
    const again = await syncVolume(src, dst);
    const [a, b] = await Promise.all([volumeDigest(src), volumeDigest(dst)]);
    expect(b).toEqual(a);
    expect(again.sent).toBeGreaterThan(0);
    expect((await syncVolume(src, dst)).sent).toBe(0);
    expect(failed?.message).toMatch(/hostB: writing volume .* failed \(exit 137\)/);
    figures.killed = { error: failed?.message.slice(0, 160), resumed: again };
  }, 600_000);
});
