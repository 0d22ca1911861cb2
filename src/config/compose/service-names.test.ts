// Compose names and networks as processes carry them: aliases (service name, container_name,
// hostname, links, network aliases), networks (internal kept, external by name, a reverse
// proxy's external network replaced), external volumes mounted by their own name.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import type { ProcessSpec } from '../fleet.ts';
import { composeToProcesses } from './processes.ts';
import { readCompose } from './read.ts';

const FILE = '/repo/docker-compose.yml';

function convert(text: string) {
  const r = readCompose(FILE, text, { readFile: () => undefined });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const out = composeToProcesses(r.compose!, { project: 'p', app: 'shop', env: 'prod', fleetDir: '/repo' });
  return { ...out, read: r.diagnostics, all: [...r.diagnostics, ...out.diagnostics] };
}

const proc = (out: { processes: ProcessSpec[] }, name: string): ProcessSpec => out.processes.find((p) => p.name === name)!;
const codes = (ds: Diagnostic[]) => ds.map((d) => `${d.severity} ${d.code} ${d.path}`);

describe('compose names become aliases', () => {
  const out = convert(`
services:
  backend:
    image: api:1
    container_name: legacy-backend
    hostname: api-host
    networks:
      back: { aliases: [api] }
  db_main:
    image: postgres:17
    networks: [back]
  web:
    image: web:1
    links: ["backend", "db_main:database"]
    networks: [back]
networks: { back: {} }
`);

  it('each service answers to its name, container_name, hostname, network aliases and link aliases', () => {
    expect(proc(out, 'backend').aliases).toEqual(['backend', 'legacy-backend', 'api-host', 'api']);
    expect(proc(out, 'db-main').aliases).toEqual(['db_main', 'database']);
    expect(proc(out, 'web').aliases).toEqual(['web']);
  });

  it('a link is a dependency too; hostname and container_name say what becomes of them', () => {
    expect(proc(out, 'web').dependsOn).toEqual(['backend', 'db-main']);
    expect(codes(out.all)).toEqual(
      expect.arrayContaining(['info hostname-alias services/backend/hostname', 'info container-name-ignored services/backend/container_name']),
    );
    expect(codes(out.all).filter((c) => c.includes('unsupported'))).toEqual([]);
  });

  it('a name another service already has stays with it, with a warning', () => {
    const clash = convert(`
services:
  redis: { image: redis:7 }
  cache: { image: redis:7, hostname: redis }
  app: { image: app:1, links: ["nowhere"] }
`);
    expect(proc(clash, 'cache').aliases).toEqual(['cache']);
    expect(proc(clash, 'redis').aliases).toEqual(['redis']);
    expect(codes(clash.diagnostics)).toEqual(['warning name-taken services/cache', 'warning unknown-link services/app/links']);
    expect(clash.diagnostics[0]!.message).toBe(
      'the alias "redis" would also name service "cache", but "redis" already resolves to service "redis": it stays with "redis"',
    );
  });
});

describe('compose networks become the app’s networks', () => {
  const out = convert(`
services:
  front: { image: web:1, ports: ["3000:3000"], networks: [public], labels: { traefik.enable: "true" } }
  api: { image: api:1, networks: [public, internal, db, traefik] }
  postgres: { image: postgres:15, networks: [db], volumes: [pgdata:/var/lib/postgresql/data, shared:/shared] }
  redis: { image: redis:7, networks: [internal] }
  metrics: { image: prom:1, networks: [monitoring] }
  plain: { image: busybox }
networks:
  public: {}
  internal: { internal: true }
  db: { internal: true, name: custom-db }
  traefik: { external: true }
  monitoring: { external: { name: shared-monitoring } }
volumes:
  pgdata: {}
  shared: { external: true, name: team-shared }
`);

  it('each process joins what it lists (default when nothing), internal ones stay internal', () => {
    expect(proc(out, 'front').networks).toEqual([{ name: 'public', internal: false }]);
    expect(proc(out, 'postgres').networks).toEqual([{ name: 'db', internal: true }]);
    expect(proc(out, 'redis').networks).toEqual([{ name: 'internal', internal: true }]);
    expect(proc(out, 'plain').networks).toEqual([{ name: 'default', internal: false }]);
  });

  it('an external network keeps its name; one that serves a reverse proxy becomes the app’s own', () => {
    expect(proc(out, 'metrics').networks).toEqual([{ name: 'monitoring', internal: false, external: 'shared-monitoring' }]);
    expect(proc(out, 'api').networks).toEqual([
      { name: 'public', internal: false },
      { name: 'internal', internal: true },
      { name: 'db', internal: true },
      { name: 'traefik', internal: false },
    ]);
    const notes = out.all.filter((d) => d.code === 'external-network').map((d) => d.message);
    expect(notes).toEqual([
      'external network "traefik" serves a reverse proxy, which Slipway\'s proxy replaces: it becomes a network of the app in each environment, not traefik itself',
      'external network "monitoring" is joined by its own name shared-monitoring in every environment: Slipway never creates or deletes it, and environments that join it can reach each other on it',
    ]);
  });

  it('a compose name: on a network is replaced by the per-environment name, and says so', () => {
    expect(codes(out.read)).toContain('info name-replaced networks/db/name');
  });

  it('an external volume is mounted by its own name and is never an app volume', () => {
    expect(proc(out, 'postgres').volumes).toEqual({ pgdata: '/var/lib/postgresql/data' });
    expect(proc(out, 'postgres').externalVolumes).toEqual({ 'team-shared': '/shared' });
    expect(out.volumes).toEqual(['pgdata']);
    expect(codes(out.read)).toContain('info external-volume volumes/shared');
  });
});
