// Shipping bind-mounted repository files, against the recording fake engine and a real git
// repository: the content comes from the deployed commit (an uncommitted edit does not ship), goes
// into the environment's files volume in one archive upload through a holder that is removed
// again, and the specs then bind it from the volume's path with the shipped digest in their hash.
// A secret comes from the working tree, mode 0400, and never shows in the output.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import { FakeEngine } from '../engine/fake-engine.ts';
import { type TarReadEntry, unpackTar } from '../engine/tar.ts';
import { desire } from '../plan/desire/desire.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { toCreateSpec } from './container-create.ts';
import { shipFiles } from './files-ship.ts';
import { readSources } from './files-source.ts';
import { createReporter } from './reporter.ts';
import { type ServerRun, serverRun } from './server-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-ship-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const git = (...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();
const ROUTES_V1 = '{"users":"http://users:3000"}\n';
mkdirSync(join(dir, 'config/conf.d'), { recursive: true });
writeFileSync(join(dir, 'config/routes.json'), ROUTES_V1);
writeFileSync(join(dir, 'config/conf.d/extra.conf'), 'x=1\n');
writeFileSync(join(dir, 'db_password.txt'), 'correct-horse-battery\n');
writeFileSync(join(dir, '.gitignore'), 'db_password.txt\n');
writeFileSync(
  join(dir, 'docker-compose.yml'),
  `services:
  gateway:
    image: node:20-slim
    volumes: ["./config/routes.json:/app/config/routes.json:ro", "./config/conf.d:/etc/extra"]
  db:
    image: postgres:15
    user: "70:70"
    secrets: [db_password]
  cache:
    image: redis:7
secrets:
  db_password: { file: ./db_password.txt }
`,
);
writeFileSync(
  join(dir, 'slipway.yaml'),
  `project: shipt
servers:
  local: { local: true }
environments:
  prod: { server: local }
apps:
  stack: { compose: docker-compose.yml }
`,
);
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'v1');
const V1 = git('rev-parse', 'HEAD');

let engine: FakeEngine;
let out: string[];
let tars: TarReadEntry[][];

function runOf(): ServerRun {
  const loaded = loadFleet(join(dir, 'slipway.yaml'));
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics));
  const fleet = loaded.fleet;
  const now = () => 0;
  return serverRun(
    fleet,
    desire(fleet),
    { server: fleet.servers[0]!, engine, dialer: { dial: async () => Promise.reject(new Error('no dialing')) }, close: async () => {} },
    createReporter({ write: (t) => void out.push(t) }, now),
    now,
  );
}
const specOf = (run: ServerRun, process: string): ContainerSpec => run.state.containers.find((c) => c.process === process)!;

beforeEach(() => {
  engine = new FakeEngine('local');
  out = [];
  tars = [];
  const put = engine.putArchive.bind(engine);
  engine.putArchive = async (c, d, tar) => {
    tars.push(await unpackTar(tar));
    return put(c, d, tar);
  };
});

describe('shipFiles', () => {
  it('ships the committed content, not an uncommitted edit, through a holder it removes; the specs bind the volume path', async () => {
    writeFileSync(join(dir, 'config/routes.json'), '{"users":"http://uncommitted:1"}\n');
    const run = runOf();
    const before = specOf(run, 'gateway').specHash;
    const r = await shipFiles(run, run.fleet.apps[0]!, 'prod', { sha: V1 });
    expect(r).toEqual({ volume: 'shipt-prod-files', copies: 3, containers: 2 });
    expect(engine.ops().filter((op) => op !== 'imageInspect' && op !== 'buildImage')).toEqual([
      'listVolumes',
      'createVolume',
      'listVolumes',
      'removeContainer',
      'createContainer',
      'putArchive',
      'removeContainer',
    ]);
    expect(engine.calls('createContainer')[0]![0]).toMatchObject({
      name: 'shipt-prod-files-ship',
      image: 'slipway/state:1',
      mounts: [{ volume: 'shipt-prod-files', target: '/files' }],
      labels: { 'slipway.project': 'shipt', 'slipway.env': 'prod', 'slipway.role': 'files' },
    });
    expect(engine.calls('putArchive')[0]!.slice(0, 2)).toEqual(['shipt-prod-files-ship', '/files']);
    expect(engine.containers.size).toBe(0);
    const files = tars[0]!.filter((e) => e.type === 'file');
    const routes = files.find((e) => e.path.endsWith('/routes.json'))!;
    expect(routes.content.toString()).toBe(ROUTES_V1);
    expect(routes.mode & 0o777).toBe(0o644);
    const gw = specOf(run, 'gateway');
    const [address] = routes.path.split('/');
    expect(address).toMatch(/^[0-9a-f]{64}$/);
    expect(toCreateSpec(gw, { env: {} }).binds).toEqual([
      { source: `/var/lib/docker/volumes/shipt-prod-files/_data/${address}/routes.json`, target: '/app/config/routes.json', readOnly: true },
      { source: expect.stringMatching(/^\/var\/lib\/docker\/volumes\/shipt-prod-files\/_data\/[0-9a-f]{64}\/conf\.d$/), target: '/etc/extra', readOnly: false },
    ]);
    expect(files.some((e) => e.path.endsWith('/conf.d/extra.conf'))).toBe(true);
    // The working tree (what desire saw) differs from the commit: the shipped spec is another one.
    expect(gw.specHash).not.toBe(before);
    expect(gw.labels['slipway.spec-hash']).toBe(gw.specHash);
    writeFileSync(join(dir, 'config/routes.json'), ROUTES_V1);
  });

  it('the same content as the working tree keeps the hash desire computed; a second ship reuses the volume', async () => {
    const run = runOf();
    const before = specOf(run, 'gateway').specHash;
    await shipFiles(run, run.fleet.apps[0]!, 'prod', { sha: V1 });
    expect(specOf(run, 'gateway').specHash).toBe(before);
    engine.clearTranscript();
    await shipFiles(runOf(), run.fleet.apps[0]!, 'prod', { sha: V1 });
    expect(engine.ops()).not.toContain('createVolume');
  });

  it('a secret comes from the working tree (it is not committed), mode 0400 and owned by the service user, and is never printed', async () => {
    const run = runOf();
    await shipFiles(run, run.fleet.apps[0]!, 'prod', { sha: V1 });
    const secret = tars[0]!.find((e) => e.path.endsWith('/db_password.txt'))!;
    expect(secret.content.toString()).toBe('correct-horse-battery\n');
    expect(secret.mode & 0o777).toBe(0o400);
    expect(toCreateSpec(specOf(run, 'db'), { env: {} }).binds).toEqual([
      { source: expect.stringMatching(/\/db_password\.txt$/), target: '/run/secrets/db_password', readOnly: true },
    ]);
    const printed = out.join('');
    expect(printed).toMatch(/secret → \/run\/secrets\/db_password \(read-only\)/);
    expect(printed).toMatch(/\.\/config\/routes\.json → \/app\/config\/routes\.json \(read-only\)/);
    expect(printed).not.toContain('correct-horse');
    expect(printed).not.toContain('db_password.txt');
  });

  it('a file missing from the deployed commit is a clear error, before anything is uploaded', async () => {
    writeFileSync(join(dir, 'config/new.json'), '{}\n');
    writeFileSync(join(dir, 'docker-compose.yml'), `services:\n  gateway:\n    image: node:20-slim\n    volumes: ["./config/new.json:/app/new.json:ro"]\n`);
    try {
      const run = runOf();
      await expect(shipFiles(run, run.fleet.apps[0]!, 'prod', { sha: V1 })).rejects.toThrow(
        new RegExp(`\\./config/new\\.json is not in commit ${V1.slice(0, 12)}`),
      );
      expect(engine.ops()).not.toContain('putArchive');
    } finally {
      git('checkout', '-q', '--', 'docker-compose.yml');
      rmSync(join(dir, 'config/new.json'));
    }
  });

  it('an app with nothing to ship makes no engine call', async () => {
    const run = runOf();
    run.state.containers = run.state.containers.filter((c) => !c.binds);
    expect(await shipFiles(run, run.fleet.apps[0]!, 'prod', { sha: V1 })).toBeUndefined();
    expect(engine.transcript).toEqual([]);
  });
});

describe('readSources', () => {
  it('reads from the commit relative to the fleet file, also above it in the repository; the digest equals the working tree one', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'slipway-src-'));
    try {
      mkdirSync(join(repo, 'deploy'), { recursive: true });
      mkdirSync(join(repo, 'shared/conf'), { recursive: true });
      writeFileSync(join(repo, 'shared/conf/a.conf'), 'a=1\n');
      writeFileSync(join(repo, 'shared/run.sh'), 'echo\n', { mode: 0o755 });
      const g = (...args: string[]) =>
        execFileSync('git', ['-C', repo, ...args], {
          env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' },
        });
      g('init', '-q');
      g('add', '-A');
      g('commit', '-q', '-m', 'x');
      const sha = g('rev-parse', 'HEAD').toString().trim();
      const fleetDir = join(repo, 'deploy');
      const sources = [
        { source: '../shared/conf', secret: false },
        { source: '../shared/run.sh', secret: false },
      ];
      const fromGit = await readSources({ fleetDir, sha }, sources);
      const fromTree = await readSources({ fleetDir }, sources);
      expect(fromGit.get('../shared/conf')).toMatchObject({ type: 'dir', entries: [{ path: 'a.conf', kind: 'file', executable: false }] });
      expect(fromGit.get('../shared/run.sh')).toMatchObject({ type: 'file', entries: [{ path: '', executable: true }] });
      for (const s of sources) expect(fromGit.get(s.source)!.digest).toBe(fromTree.get(s.source)!.digest);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
