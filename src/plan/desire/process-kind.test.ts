// Which processes desire marks stateful (replaced stop-first, only when changed), which are one-off
// tasks, and what each waits for: a known database or broker image, or a process owning a data
// volume no other process mounts, is stateful; a volume the fleet file gives the whole app (media)
// or several processes share is not; a cache image without a volume is not; a process another one
// waits for with service_completed_successfully is a task that never restarts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../config/load.ts';
import { desire } from './desire.ts';
import type { ContainerSpec } from './desired.ts';
import { specHash } from './hash.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function composeApp(composeText: string): Map<string, ContainerSpec> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-process-kind-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'docker-compose.yml'), composeText);
  const loaded = loadFleet(join(dir, 'slipway.yaml'), {
    text: 'project: acme\nservers: { local: { local: true } }\nenvironments: { prod: { server: local, domain: shop.localhost } }\napps: { shop: { compose: docker-compose.yml } }\n',
  });
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics));
  return new Map(
    desire(loaded.fleet)
      .servers[0]!.containers.filter((c) => c.role === 'app')
      .map((c) => [c.process!, c]),
  );
}

describe('process kinds (compose app)', () => {
  const specs = composeApp(`services:
  web:
    image: shop:1
    ports: ["8000:8000"]
    volumes: ["static:/srv/static"]
    depends_on:
      db: { condition: service_healthy }
      migrate: { condition: service_completed_successfully }
  nginx:
    image: nginx:1.27
    volumes: ["static:/usr/share/nginx/html:ro"]
  migrate:
    image: shop:1
    command: ["python", "manage.py", "migrate"]
    restart: always
  db:
    image: postgres:15
    volumes: ["pgdata:/var/lib/postgresql/data"]
  uploads:
    image: shop:1
    volumes: ["files:/data"]
  redis:
    image: redis:7
  memcached:
    image: memcached:1.6
volumes: { static: {}, pgdata: {}, files: {} }
`);

  it('a database image, or a process owning a volume, is stateful; a shared volume or a cache image is not', () => {
    expect(specs.get('db')?.stateful).toBe('postgres image');
    expect(specs.get('redis')?.stateful).toBe('redis image');
    expect(specs.get('uploads')?.stateful).toBe('owns data volume files');
    expect(specs.get('web')?.stateful).toBeUndefined(); // static is shared with nginx
    expect(specs.get('nginx')?.stateful).toBeUndefined();
    expect(specs.get('memcached')?.stateful).toBeUndefined();
  });

  it('what web waits for, with its conditions; the task never restarts and is not stateful', () => {
    expect(specs.get('web')?.waitsFor).toEqual([
      { process: 'db', condition: 'service_healthy' },
      { process: 'migrate', condition: 'service_completed_successfully' },
    ]);
    expect(specs.get('migrate')).toMatchObject({ task: true, restart: 'no' });
    expect(specs.get('migrate')?.stateful).toBeUndefined();
    expect(specs.get('db')?.task).toBeUndefined();
  });

  it('the kind is not hashed: marking a process stateful or a task does not replace its container', () => {
    for (const p of ['db', 'migrate', 'web']) {
      const c = specs.get(p)!;
      const { stateful: _s, task: _t, waitsFor: _w, ...plain } = c;
      expect(specHash(plain)).toBe(c.specHash);
    }
  });
});

describe('process kinds (fleet file app)', () => {
  const loaded = loadFleet('/srv/acme/slipway.yaml', {
    text: `project: acme
servers: { local: { local: true } }
environments: { prod: { server: local, domain: "{app}.localhost" } }
apps:
  blog:
    image: blog:1
    volumes: { media: /app/media }
    processes:
      web: { port: 8000 }
      beat: { command: "celery beat", volumes: { schedule: /var/lib/beat } }
`,
  });
  const specs = new Map(
    desire(loaded.fleet!)
      .servers[0]!.containers.filter((c) => c.role === 'app')
      .map((c) => [c.process!, c]),
  );

  it('the app-level media volume is shared files (web stays start-first); a process-level volume is its own data', () => {
    expect(specs.get('web')?.stateful).toBeUndefined();
    expect(specs.get('beat')?.stateful).toBe('owns data volume schedule');
  });
});
