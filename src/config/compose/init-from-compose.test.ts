// initFromCompose: the starter fleet file is valid YAML that the loader accepts, turns suspected
// secrets into references (never printing their values), and explains what needs a human.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { initFromCompose } from './init-from-compose.ts';
import { loadFleet } from '../load.ts';
import { fleetSchema } from '../schema.ts';

const EXAMPLE_DIR = resolve(import.meta.dirname, '../../../examples/qual-prod-compose');

describe('initFromCompose: qual-prod example', () => {
  const r = initFromCompose('docker-compose.yml', { baseDir: EXAMPLE_DIR, envs: ['qual', 'prod'], project: 'odyssey' });
  const doc = parse(r.yaml) as Record<string, any>;

  it('writes a fleet file that matches the schema', () => {
    const parsed = fleetSchema.safeParse(doc);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('has one local server, the given environments and the compose app', () => {
    expect(doc.project).toBe('odyssey');
    expect(doc.servers).toEqual({ local: { local: true, memory: '8GiB', cpus: 2 } });
    expect(doc.environments.qual).toEqual({
      server: 'local',
      deploy: { branch: 'main' },
      auth: 'basic',
      domain: '{app}-qual.example.com',
      limits: { memory: '512MiB', cpus: 0.5 },
    });
    expect(doc.environments.prod).toEqual({
      server: 'local',
      protected: true,
      deploy: { tags: 'v*' },
      rate_limit: { rps: 50, burst: 100 },
      domain: '{app}.example.com',
    });
    expect(doc.services).toEqual({});
    expect(doc.apps.odyssey.compose).toBe('docker-compose.yml');
  });

  it('turns suspected secrets into shared references, never values', () => {
    const procs = doc.apps.odyssey.processes;
    expect(procs.postgres.env).toEqual({ POSTGRES_PASSWORD: { secret: 'database-password' } });
    expect(procs['user-management'].env).toEqual({ DATABASE_PASSWORD: { secret: 'database-password' }, RABBITMQ_URL: { secret: 'rabbitmq-url' } });
    expect(procs['strapi-cms'].env.DATABASE_PASSWORD).toEqual({ secret: 'strapi-cms-database-password' });
    expect(procs.rabbitmq.env).toEqual({ RABBITMQ_DEFAULT_PASS: { secret: 'rabbitmq-password' } });
    expect(procs['notification-service'].env).toEqual({ RABBITMQ_PASSWORD: { secret: 'rabbitmq-password' } });
    for (const leaked of ['dev-password', 'dev-jwt', 'devkey', 'dev-salt', 'dev-client-secret']) expect(r.yaml).not.toContain(leaked);
  });

  it('explains routing, the memory budget and the import in comments and diagnostics', () => {
    expect(r.yaml).toContain("# Routing: the environment's domain goes to process public-fo (port 3000)");
    expect(r.yaml).toContain('# Never routed: postgres (postgres image), redis (redis image), rabbitmq (rabbitmq image), elasticsearch (elasticsearch image).');
    expect(r.yaml).toContain('#   processes: { api-gateway: { domains: { prod: "api.example.com", default: "api-{env}.example.com" } } }');
    expect(r.yaml).toContain('the compose limits need 7.75GiB per environment (15.5GiB');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.find((d) => d.code === 'init-memory-budget')?.severity).toBe('warning');
  });

  it('loads through the real loader as 2 environments × 14 processes with secret refs applied', () => {
    const loaded = loadFleet(resolve(EXAMPLE_DIR, 'slipway.yaml'), { text: r.yaml });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const app = loaded.fleet!.apps[0]!;
    expect(Object.keys(app.perEnv).sort()).toEqual(['prod', 'qual']);
    for (const env of ['qual', 'prod']) expect(app.perEnv[env]!.processes).toHaveLength(14);
    const pg = app.perEnv.prod!.processes.find((p) => p.name === 'postgres')!;
    expect(pg.env.POSTGRES_PASSWORD).toEqual({ kind: 'secret', name: 'database-password' });
    const um = app.perEnv.qual!.processes.find((p) => p.name === 'user-management')!;
    expect(um.env.DATABASE_HOST).toEqual({ kind: 'plain', value: 'odyssey-qual-postgres' });
  });
});

describe('initFromCompose: options and failures', () => {
  const text = 'services:\n  web:\n    image: nginx:1.27\n    ports: ["80:80"]\n    environment: { API_TOKEN: abc }\n';

  it('defaults to staging and prod, the compose name or directory as app and project', () => {
    const r = initFromCompose('deploy/docker-compose.yml', { baseDir: '/repo', text });
    const doc = parse(r.yaml) as Record<string, any>;
    expect(Object.keys(doc.environments)).toEqual(['staging', 'prod']);
    expect(doc.project).toBe('deploy');
    expect(doc.apps.deploy.compose).toBe('deploy/docker-compose.yml');
    expect(doc.apps.deploy.processes.web.env).toEqual({ API_TOKEN: { secret: 'api-token' } });
    expect(r.yaml).not.toContain('abc');
    expect(fleetSchema.safeParse(doc).success).toBe(true);
  });

  it('uses the compose name: and writes no secrets section when there is none', () => {
    const r = initFromCompose('/srv/x/compose.yaml', { baseDir: '/srv/x', text: 'name: My_Shop\nservices:\n  a:\n    image: a:1\n' });
    const doc = parse(r.yaml) as Record<string, any>;
    expect(doc.apps['my-shop']).toEqual({ compose: 'compose.yaml' });
    expect(doc.project).toBe('my-shop');
  });

  it('returns no YAML and the diagnostics when the compose file is broken', () => {
    const r = initFromCompose('docker-compose.yml', { baseDir: '/repo', text: 'services:\n  a:\n    image: [x]\n' });
    expect(r.yaml).toBe('');
    expect(r.diagnostics.map((d) => `${d.code} ${d.pos?.line}:${d.pos?.col}`)).toEqual(['bad-type 3:12', 'missing-image 2:3']);
  });

  it('lowercases environment names and refuses invalid ones (and a bad project) with no YAML', () => {
    const ok = initFromCompose('docker-compose.yml', { baseDir: '/repo', text, envs: ['QA', ' Prod '] });
    expect(Object.keys((parse(ok.yaml) as { environments: object }).environments)).toEqual(['qa', 'prod']);
    const bad = initFromCompose('docker-compose.yml', { baseDir: '/repo', text, envs: ['qa_1', 'prod', 'PROD'], project: 'My Shop' });
    expect(bad.yaml).toBe('');
    expect(bad.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.severity} ${d.code} ${d.path}: ${d.message}`)).toEqual([
      'error invalid-name environments: invalid environment name "qa_1"',
      'error invalid-name environments: environment "prod" is given twice',
      'error invalid-name project: invalid project name "My Shop"',
    ]);
  });

  it('reports a missing compose file', () => {
    const r = initFromCompose('nope.yml', { baseDir: '/nonexistent' });
    expect(r.yaml).toBe('');
    expect(r.diagnostics[0]!.code).toBe('compose-not-found');
  });
});
