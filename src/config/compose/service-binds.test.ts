// What each compose bind mount becomes (bind-sources.ts, service-binds.ts): host paths kept,
// development mounts left out with a warning, repository files shipped (with their working-tree
// digest), missing data directories turned into per-environment volumes, missing files left out;
// file-based configs and secrets shipped read-only, secrets 0400 without a digest. And the working
// tree's digest: equal content, equal digest; .git never counts.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { treeDigest } from '../../model/file-digest.ts';
import type { ProcessSpec } from '../fleet.ts';
import { classifyBind, type SourceInfo, volumeName, workingTreeReader } from './bind-sources.ts';
import { composeToProcesses } from './processes.ts';
import { readCompose } from './read.ts';

const FILE = '/repo/docker-compose.yml';
const TREE: Record<string, SourceInfo> = {
  '/repo': { type: 'dir', digest: 'd-root' },
  '/repo/backend': { type: 'dir', digest: 'd-backend' },
  '/repo/src': { type: 'dir', digest: 'd-src' },
  '/repo/config': { type: 'dir', digest: 'd-config' },
  '/repo/nginx.conf': { type: 'file', digest: 'd-nginx' },
  '/repo/secrets/db_password.txt': { type: 'file', digest: 'd-secret' },
  '/repo/app.yaml': { type: 'file', digest: 'd-app-yaml' },
};
const fakeTree = (abs: string): SourceInfo => TREE[abs] ?? { type: 'missing' };

function convert(text: string): { processes: ProcessSpec[]; volumes: string[]; diagnostics: Diagnostic[] } {
  const r = readCompose(FILE, text, { readFile: () => undefined });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const out = composeToProcesses(r.compose!, { project: 'shop', app: 'shop', env: 'prod', fleetDir: '/repo', readSource: fakeTree });
  return out;
}

const proc = (out: { processes: ProcessSpec[] }, name: string): ProcessSpec => out.processes.find((p) => p.name === name)!;
const codes = (out: { diagnostics: Diagnostic[] }, path: string) =>
  out.diagnostics.filter((d) => d.path.startsWith(path)).map((d) => `${d.severity} ${d.code}`);

describe('compose bind mounts', () => {
  const out = convert(`
services:
  api:
    build: ./backend
    volumes:
      - ./backend:/app
      - ./backend:/opt/backend
      - ./backend:/etc/backend
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
      - ./config/:/app/config
      - /var/run/docker.sock:/var/run/docker.sock:ro
      - /etc/localtime:/etc/localtime:ro
      - ./postgres14:/var/lib/postgresql/data
      - ./mongo-init.js:/docker-entrypoint-initdb.d/init.js:ro
  web:
    image: node:20-slim
    working_dir: /srv/web
    volumes: [".:/code", "./src:/usr/src/app", "./config:/srv/web"]
  legacy:
    image: python:3
    volumes: ["./src:/opt/legacy"]
`);

  it('a folder over the image code is a development mount: left out, with a warning that the code comes from the image', () => {
    expect(proc(out, 'api').binds?.map((b) => b.target)).not.toContain('/app');
    const dev = out.diagnostics.filter((d) => d.code === 'dev-mount');
    expect(dev.map((d) => d.path)).toEqual([
      'services/api/volumes/0',
      'services/api/volumes/1',
      'services/web/volumes/0',
      'services/web/volumes/1',
      'services/web/volumes/2',
    ]);
    expect(dev[0]!.severity).toBe('warning');
    expect(dev[0]!.message).toMatch(
      /\.\/backend → \/app mounts source code over the image's code \(\/app is where the image keeps its code\).*left out; the code comes from the image, built from the deployed commit/,
    );
    expect(dev[1]!.message).toMatch(/\.\/backend → \/opt\/backend .*\(it is the build context\)/);
    expect(dev[2]!.message).toMatch(/\. → \/code .*\/code is where the image keeps its code.*the code comes from the image \(node:20-slim\)/);
    expect(dev[4]!.message).toMatch(/\/srv\/web is the working_dir/);
    expect(proc(out, 'web').binds).toBeUndefined();
  });

  it('a folder elsewhere, or the build context mounted as configuration (under /etc), is not a development mount', () => {
    expect(proc(out, 'legacy').binds).toEqual([{ source: './src', target: '/opt/legacy', readOnly: false, repo: { type: 'dir', digest: 'd-src' } }]);
  });

  it('repository files and folders are shipped with their working-tree digest, read-only as written', () => {
    const shipped = proc(out, 'api').binds!.filter((b) => b.repo);
    expect(shipped).toEqual([
      { source: './backend', target: '/etc/backend', readOnly: false, repo: { type: 'dir', digest: 'd-backend' } },
      { source: './nginx.conf', target: '/etc/nginx/nginx.conf', readOnly: true, repo: { type: 'file', digest: 'd-nginx' } },
      { source: './config', target: '/app/config', readOnly: false, repo: { type: 'dir', digest: 'd-config' } },
    ]);
    expect(codes(out, 'services/api/volumes/3')).toEqual(['info bind-shipped']);
  });

  it('host paths stay host binds, with a warning that they do not travel', () => {
    expect(proc(out, 'api').binds!.filter((b) => !b.repo)).toEqual([
      { source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: true },
      { source: '/etc/localtime', target: '/etc/localtime', readOnly: true },
    ]);
    expect(codes(out, 'services/api/volumes/5')).toEqual(['warning host-bind']);
  });

  it('a missing directory is data: a named volume per environment; a missing file is left out', () => {
    expect(proc(out, 'api').volumes).toEqual({ postgres14: '/var/lib/postgresql/data' });
    expect(out.volumes).toContain('postgres14');
    expect(codes(out, 'services/api/volumes/7')).toEqual(['warning bind-data-volume']);
    expect(codes(out, 'services/api/volumes/8')).toEqual(['warning bind-source-missing']);
    expect(proc(out, 'api').binds!.map((b) => b.source)).not.toContain('./mongo-init.js');
  });

  it('a missing folder named like conf.d is a directory, not a file', () => {
    expect(classifyBind({ source: './nginx/conf.d', target: '/etc/nginx/conf.d', composeDir: '/repo' }, fakeTree)).toEqual({
      kind: 'data',
      volume: 'nginx-conf.d',
    });
    expect(classifyBind({ source: './cert.pem', target: '/cert.pem', composeDir: '/repo' }, fakeTree)).toEqual({ kind: 'missing-file' });
  });

  it('names the volume of a missing data directory after its path', () => {
    expect(volumeName('./postgres14')).toBe('postgres14');
    expect(volumeName('./public/system')).toBe('public-system');
    expect(volumeName('../data/.redis')).toBe('data-.redis');
  });

  it('classifies without a build context or working_dir', () => {
    expect(classifyBind({ source: './x', target: '/app', composeDir: '/repo' }, () => ({ type: 'dir', digest: 'd' }))).toEqual({
      kind: 'dev',
      why: '/app is where the image keeps its code',
    });
    expect(classifyBind({ source: './x.conf', target: '/app', composeDir: '/repo' }, () => ({ type: 'file', digest: 'd' }))).toEqual({
      kind: 'repo',
      type: 'file',
      digest: 'd',
    });
    expect(classifyBind({ source: '~/.aws', target: '/root/.aws', composeDir: '/repo' }, fakeTree)).toEqual({ kind: 'host' });
  });
});

describe('compose configs and secrets', () => {
  const out = convert(`
services:
  api:
    image: app:1
    user: "1000:1001"
    configs:
      - app_config
      - { source: app_config, target: /etc/app/app.yaml, mode: 0440 }
    secrets:
      - db_password
      - { source: db_password, target: pw, uid: "70", gid: "70", mode: 0440 }
      - from_env
  worker:
    image: app:1
    user: app
    secrets: [db_password]
configs:
  app_config: { file: ./app.yaml }
secrets:
  db_password: { file: ./secrets/db_password.txt }
  from_env: { environment: DB_PASSWORD }
`);

  it('file-based configs are shipped read-only at /<name> (0444) or their target, owned by the service user', () => {
    expect(proc(out, 'api').binds!.filter((b) => !b.repo?.secret)).toEqual([
      { source: './app.yaml', target: '/app_config', readOnly: true, repo: { type: 'file', digest: 'd-app-yaml', mode: 0o444, uid: 1000, gid: 1001 } },
      { source: './app.yaml', target: '/etc/app/app.yaml', readOnly: true, repo: { type: 'file', digest: 'd-app-yaml', mode: 0o440, uid: 1000, gid: 1001 } },
    ]);
  });

  it('file-based secrets are shipped read-only at /run/secrets/<name>, mode 0400, and carry no digest', () => {
    expect(proc(out, 'api').binds!.filter((b) => b.repo?.secret)).toEqual([
      {
        source: './secrets/db_password.txt',
        target: '/run/secrets/db_password',
        readOnly: true,
        repo: { type: 'file', secret: true, mode: 0o400, uid: 1000, gid: 1001 },
      },
      { source: './secrets/db_password.txt', target: '/run/secrets/pw', readOnly: true, repo: { type: 'file', secret: true, mode: 0o440, uid: 70, gid: 70 } },
    ]);
  });

  it('a secret from the environment is left out with a hint; a named user that cannot read a 0400 secret is warned about', () => {
    expect(codes(out, 'services/api/secrets/2')).toEqual(['warning secret-not-file']);
    expect(out.diagnostics.find((d) => d.code === 'secret-not-file')!.hint).toMatch(/slipway secret set/);
    expect(codes(out, 'services/worker/secrets/0')).toEqual(['warning secret-unreadable']);
  });

  it('an undefined config or secret is an error at the reference', () => {
    const r = readCompose(FILE, 'services:\n  a:\n    image: a:1\n    secrets: [nope]\n', { readFile: () => undefined });
    const conv = composeToProcesses(r.compose!, { project: 'p', app: 'a', env: 'prod', fleetDir: '/repo', readSource: fakeTree });
    expect(conv.diagnostics.map((d) => `${d.severity} ${d.code} ${d.path} @${d.pos?.line}`)).toEqual(['error undefined-secret services/a/secrets/0 @4']);
  });
});

describe('working tree digests', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-binds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'a/sub'), { recursive: true });
  mkdirSync(join(dir, 'a/.git'), { recursive: true });
  writeFileSync(join(dir, 'a/x.json'), '{"x":1}\n');
  writeFileSync(join(dir, 'a/sub/run.sh'), 'echo hi\n');
  chmodSync(join(dir, 'a/sub/run.sh'), 0o755);
  writeFileSync(join(dir, 'a/.git/HEAD'), 'ref: x\n');
  writeFileSync(join(dir, 'one.conf'), 'listen 80;\n');

  it('a file: the digest of its bytes and executable bit', () => {
    const info = workingTreeReader()(join(dir, 'one.conf'));
    expect(info).toEqual({ type: 'file', digest: treeDigest('file', [{ path: '', kind: 'file', executable: false, content: Buffer.from('listen 80;\n') }]) });
  });

  it('a folder: every file below it with its path, .git left out; a change to one file changes it', () => {
    const expected = treeDigest('dir', [
      { path: 'sub/run.sh', kind: 'file', executable: true, content: Buffer.from('echo hi\n') },
      { path: 'x.json', kind: 'file', executable: false, content: Buffer.from('{"x":1}\n') },
    ]);
    expect(workingTreeReader()(join(dir, 'a'))).toEqual({ type: 'dir', digest: expected });
    writeFileSync(join(dir, 'a/x.json'), '{"x":2}\n');
    expect(workingTreeReader()(join(dir, 'a')).digest).not.toBe(expected);
    expect(workingTreeReader()(join(dir, 'missing'))).toEqual({ type: 'missing' });
  });
});
