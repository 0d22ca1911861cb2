// Each distinct build (context, Dockerfile, target, args) of a release is built once, and every
// process that uses it gets its release tag from that one build; the compose app's release tag names
// its web process's build; a second release of the same commit builds nothing.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { fakeComposeWorld, gitRepo } from '../../test/support/compose-app.ts';
import { resolveRef } from './git-source.ts';
import { distinctBuilds, makeReleaseImages } from './release-image.ts';

const FLEET = `project: acme
servers: { local: { local: true, memory: 8GiB, cpus: 2 } }
environments: { prod: { server: local, domain: shop.localhost, tls: "off" } }
apps: { shop: { compose: docker-compose.yml } }
`;
const COMPOSE = `services:
  web: { build: ., ports: ["8000:8000"], command: ["node", "server.js"] }
  worker: { build: { context: ./ }, command: ["node", "worker.js"] }
  migrate: { build: { context: ., dockerfile: Dockerfile }, command: ["node", "migrate.js"] }
  admin: { build: { context: ., dockerfile: Dockerfile.admin } }
  db: { image: postgres:15 }
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('release images: one build per distinct build', () => {
  it('web, worker and migrate share one build; admin has its own; the app tag is web’s', async () => {
    const repo = gitRepo({
      'slipway.yaml': FLEET,
      'docker-compose.yml': COMPOSE,
      Dockerfile: 'FROM node:20-slim\n',
      'Dockerfile.admin': 'FROM node:20-slim\nUSER node\n',
    });
    dirs.push(repo.dir);
    const w = await fakeComposeWorld(repo.dir, ['postgres:15']);
    const app = w.fleet.apps[0]!;
    expect(distinctBuilds('acme', app, 'prod', 'r1').map((b) => b.users)).toEqual([['web', 'worker', 'migrate', 'app'], ['admin']]);

    const ref = await resolveRef(repo.dir, 'main');
    const built = await makeReleaseImages(w.run, app, 'prod', 'r1', { ref });
    const f = w.fake;
    expect(f.calls('buildImage').map((a) => (a[0] as { tag: string; dockerfile: string }).dockerfile)).toEqual(['Dockerfile', 'Dockerfile.admin']);
    const id = (tag: string) => f.images.get(tag)?.id;
    expect(id('acme/shop-web:prod-r1')).toBeDefined();
    expect([id('acme/shop-worker:prod-r1'), id('acme/shop-migrate:prod-r1'), id('acme/shop:prod-r1')]).toEqual([
      id('acme/shop-web:prod-r1'),
      id('acme/shop-web:prod-r1'),
      id('acme/shop-web:prod-r1'),
    ]);
    expect(id('acme/shop-admin:prod-r1')).not.toBe(id('acme/shop-web:prod-r1'));
    expect(built).toMatchObject({ image: 'acme/shop:prod-r1', imageId: id('acme/shop-web:prod-r1'), gitSha: ref.sha });

    // The same commit again: nothing is built, every tag of the new release is there.
    f.clearTranscript();
    await makeReleaseImages(w.run, app, 'prod', 'r2', { ref });
    expect(f.calls('buildImage')).toEqual([]);
    for (const p of ['web', 'worker', 'migrate', 'admin']) expect(id(`acme/shop-${p}:prod-r2`)).toBe(id(`acme/shop-${p}:prod-r1`));

    // A new commit: two builds again.
    repo.commit({ 'Dockerfile.admin': 'FROM node:20-slim\nUSER 1000\n' });
    f.clearTranscript();
    await makeReleaseImages(w.run, app, 'prod', 'r3', { ref: await resolveRef(repo.dir, 'main') });
    expect(f.calls('buildImage')).toHaveLength(2);
  });
});
