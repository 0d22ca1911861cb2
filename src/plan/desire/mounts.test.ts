// desire for a compose app's volumes and bind mounts, loaded through the real loader from a
// repository on disk: named volumes are per environment; repository files are binds with their
// working-tree digest, in the spec hash, and put the environment's files volume in desired state;
// development mounts are left out; host paths stay; a secret's content never enters the hash.
// withShippedFiles (what a deploy does once the content is on the server) gives the same hash for
// the same content, a new one for new content. And `check` warns on the Docker socket.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../config/load.ts';
import { treeDigest } from '../../model/file-digest.ts';
import { check } from '../check/check.ts';
import { desire } from './desire.ts';
import type { ContainerSpec, DesiredState } from './desired.ts';
import { specHash } from './hash.ts';
import { shipKey, withShippedFiles } from './mounts.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-mounts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'services'), { recursive: true });
mkdirSync(join(dir, 'config'), { recursive: true });
writeFileSync(join(dir, 'services/Dockerfile'), 'FROM node:20-slim\nWORKDIR /app\n');
writeFileSync(join(dir, 'config/routes.json'), '{"users":"http://users:3000"}\n');
writeFileSync(join(dir, 'db_password.txt'), 'correct-horse-battery\n');
writeFileSync(
  join(dir, 'docker-compose.yml'),
  `services:
  gateway:
    build: ./services
    ports: ["8080:8080"]
    volumes:
      - ./config/routes.json:/app/config/routes.json:ro
      - ./services:/app
      - /var/run/docker.sock:/var/run/docker.sock:ro
  db:
    image: postgres:15
    volumes: [pgdata:/var/lib/postgresql/data]
    secrets: [db_password]
volumes: { pgdata: {} }
secrets:
  db_password: { file: ./db_password.txt }
`,
);
const FLEET = `project: odyssey
servers:
  local: { local: true }
environments:
  qual: { server: local }
  prod: { server: local }
apps:
  stack: { compose: docker-compose.yml }
`;
writeFileSync(join(dir, 'slipway.yaml'), FLEET);

function load() {
  const r = loadFleet(join(dir, 'slipway.yaml'));
  if (!r.fleet) throw new Error(JSON.stringify(r.diagnostics, null, 2));
  return r;
}
const spec = (d: DesiredState, env: string, process: string): ContainerSpec =>
  d.servers[0]!.containers.find((c) => c.role === 'app' && c.env === env && c.process === process)!;

describe('desire: compose volumes and bind mounts', () => {
  const { fleet, diagnostics } = load();
  const d = desire(fleet!);
  const s = d.servers[0]!;

  it('named volumes and the files volume are per environment', () => {
    expect(s.volumes.map((v) => v.name).filter((n) => n !== 'odyssey-proxy-data')).toEqual([
      'odyssey-prod-files',
      'odyssey-prod-stack-pgdata',
      'odyssey-qual-files',
      'odyssey-qual-stack-pgdata',
    ]);
    expect(s.volumes.find((v) => v.name === 'odyssey-qual-files')!.labels).toEqual({
      'slipway.project': 'odyssey',
      'slipway.env': 'qual',
      'slipway.role': 'files',
    });
    expect(spec(d, 'qual', 'db').mounts).toEqual({ 'odyssey-qual-stack-pgdata': '/var/lib/postgresql/data' });
    expect(spec(d, 'prod', 'db').mounts).toEqual({ 'odyssey-prod-stack-pgdata': '/var/lib/postgresql/data' });
  });

  it('the config file is a read-only bind with its working-tree digest; the dev mount is left out with its warning; the socket stays', () => {
    const digest = treeDigest('file', [{ path: '', kind: 'file', executable: false, content: Buffer.from('{"users":"http://users:3000"}\n') }]);
    expect(spec(d, 'qual', 'gateway').binds).toEqual([
      { source: './config/routes.json', target: '/app/config/routes.json', readOnly: true, repo: { type: 'file', digest } },
      { source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: true },
    ]);
    const dev = diagnostics.find((x) => x.code === 'dev-mount')!;
    expect(dev.message).toMatch(/\.\/services → \/app .*left out; the code comes from the image/);
    expect(dev.pos).toMatchObject({ line: 7 });
  });

  it('the secret is bound read-only, 0400, without a digest; specs without binds keep the hash they had', () => {
    expect(spec(d, 'prod', 'db').binds).toEqual([
      { source: './db_password.txt', target: '/run/secrets/db_password', readOnly: true, repo: { type: 'file', secret: true, mode: 0o400 } },
    ]);
    const gw = spec(d, 'prod', 'gateway');
    const { binds: _b, ...withoutBinds } = gw;
    expect(specHash(withoutBinds)).toBe(specHash({ ...withoutBinds, binds: [] }));
    expect(specHash(withoutBinds)).not.toBe(gw.specHash);
  });

  it("a deploy's shipped content: same digest, same hash; new content, new hash and label; a secret's content never counts", () => {
    const gw = spec(d, 'prod', 'gateway');
    const bind = gw.binds![0]!;
    const same = withShippedFiles(gw, new Map([[shipKey(bind), { digest: bind.repo!.digest!, hostPath: '/v/_data/a/routes.json' }]]));
    expect(same.specHash).toBe(gw.specHash);
    expect(same.binds![0]!.repo!.hostPath).toBe('/v/_data/a/routes.json');
    const changed = withShippedFiles(gw, new Map([[shipKey(bind), { digest: 'f'.repeat(64), hostPath: '/v/_data/b/routes.json' }]]));
    expect(changed.specHash).not.toBe(gw.specHash);
    expect(changed.labels['slipway.spec-hash']).toBe(changed.specHash);
    const db = spec(d, 'prod', 'db');
    const secret = db.binds![0]!;
    const a = withShippedFiles(db, new Map([[shipKey(secret), { digest: '1'.repeat(64), hostPath: '/v/x/db_password.txt' }]]));
    const b = withShippedFiles(db, new Map([[shipKey(secret), { digest: '2'.repeat(64), hostPath: '/v/y/db_password.txt' }]]));
    expect(a.specHash).toBe(db.specHash);
    expect(b.specHash).toBe(db.specHash);
    expect(a.binds![0]!.repo!.digest).toBeUndefined();
    expect(() => withShippedFiles(gw, new Map())).toThrow(/was not shipped/);
  });

  it('check warns once per process on the Docker socket, in each environment', () => {
    const found = check(fleet!, d).filter((f) => f.code === 'docker-socket');
    expect(found.map((f) => `${f.severity} ${f.subject}`)).toEqual(['warning stack/prod/gateway', 'warning stack/qual/gateway']);
    expect(found[0]!.message).toMatch(/mounts the Docker socket \(\/var\/run\/docker\.sock\).*controls the server.*read-only does not help/);
  });

  it('a changed config file changes the spec hash at the next load', () => {
    writeFileSync(join(dir, 'config/routes.json'), '{"users":"http://users:3001"}\n');
    const again = desire(load().fleet!);
    expect(spec(again, 'prod', 'gateway').specHash).not.toBe(spec(d, 'prod', 'gateway').specHash);
    expect(spec(again, 'prod', 'db').specHash).toBe(spec(d, 'prod', 'db').specHash);
  });
});
