// The fleet file's `compose:` key through the real loader: base files for every environment,
// per-environment override files, env files and profiles; .env interpolation; extends from
// another file; and the schema's and references' diagnostics for the key itself.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../load.ts';
import type { ProcessSpec } from '../fleet.ts';

const DIR = resolve(import.meta.dirname, '../../../test/fixtures/config/compose/layered');
const FLEET = resolve(DIR, 'slipway.yaml');

function proc(processes: ProcessSpec[], name: string): ProcessSpec {
  const p = processes.find((x) => x.name === name);
  if (!p) throw new Error(`no process ${name}`);
  return p;
}
const plain = (p: ProcessSpec, key: string) => {
  const v = p.env[key];
  return v?.kind === 'plain' ? v.value : v;
};

describe('compose: files, environments, env_file and profiles', () => {
  const r = loadFleet(FLEET);
  const app = r.fleet?.apps[0];

  it('loads with no errors or warnings', () => {
    expect(r.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code} ${d.message}`)).toEqual([]);
    expect(app?.source).toEqual({ kind: 'compose', file: 'docker-compose.yml' });
  });

  it('staging: base file, .env beside it, debug profile enabled', () => {
    const ps = app!.perEnv.staging!.processes;
    expect(ps.map((p) => p.name)).toEqual(['web', 'worker', 'db', 'adminer']);
    const web = proc(ps, 'web');
    expect(plain(web, 'VERSION')).toBe('1.2');
    expect(web.command).toEqual(['node', 'server.js']);
    expect(plain(web, 'DATABASE_URL')).toBe('postgres://app@shop-staging-db:5432/app');
    expect(plain(web, 'PRICE')).toBe('$5');
    expect(plain(web, 'REGION')).toBe('eu');
    expect(plain(web, 'LOG_LEVEL')).toBe('info');
    expect(web.build).toEqual({ context: './shared/node', dockerfile: 'Dockerfile' });
    expect(plain(proc(ps, 'db'), 'POSTGRES_USER')).toBe('app');
  });

  it('worker extends web in the same file: its command, no ports', () => {
    const worker = proc(app!.perEnv.staging!.processes, 'worker');
    expect(worker.command).toEqual(['node', 'worker.js']);
    expect(plain(worker, 'VERSION')).toBe('1.2');
    expect(worker.build).toEqual({ context: './shared/node', dockerfile: 'Dockerfile' });
    expect(worker.port).toBeUndefined();
  });

  it('prod: override file merged after the base, its env files, no debug profile', () => {
    const ps = app!.perEnv.prod!.processes;
    expect(ps.map((p) => p.name)).toEqual(['web', 'worker', 'db']);
    const web = proc(ps, 'web');
    expect(plain(web, 'VERSION')).toBe('2.0');
    expect(web.command).toEqual(['node', 'server.js', '--prod']);
    expect(plain(web, 'NODE_ENV')).toBe('production');
    expect(plain(web, 'DATABASE_URL')).toBe('postgres://shop_prod@shop-prod-db:5432/shop');
    expect(proc(ps, 'db').memory).toBe(1024 ** 3);
    expect(plain(proc(ps, 'db'), 'POSTGRES_USER')).toBe('shop_prod');
  });

  it('notes the service left out by its profile, once', () => {
    expect(r.diagnostics.filter((d) => d.code === 'profile-disabled').map((d) => `${d.path} ${d.pos?.file.split('/').pop()}:${d.pos?.line}`)).toEqual([
      'services/adminer/profiles docker-compose.yml:28',
    ]);
  });
});

describe('compose: diagnostics of the key', () => {
  const base = 'project: p\nservers: { local: { local: true } }\nenvironments: { staging: { server: local }, prod: { server: local } }\napps:\n  shop:\n';
  const load = (compose: string) => loadFleet(FLEET, { text: `${base}    compose: ${compose}\n` });
  const brief = (d: { code: string; path: string; pos?: { line: number; col: number } }) => `${d.code} ${d.path} @${d.pos?.line}:${d.pos?.col}`;

  it.each([
    ['a list of files', '[docker-compose.yml, docker-compose.prod.yml]', []],
    ['an unknown key', '{ files: docker-compose.yml, profile: [debug] }', ['unknown-key apps/shop/compose/profile @6:43']],
    [
      'an unknown environment',
      '{ files: docker-compose.yml, environments: { production: { profiles: [x] } } }',
      ['unknown-environment apps/shop/compose/environments/production @6:59'],
    ],
    ['no files', '{ profiles: [debug] }', ['missing-key apps/shop/compose @6:14']],
    ['profiles not a list', '{ files: docker-compose.yml, profiles: debug }', ['bad-type apps/shop/compose/profiles @6:53']],
    [
      'a missing env file (then DB_USER is missing too)',
      '{ files: docker-compose.yml, env_file: .env.nope }',
      ['required-variable services/db/environment/POSTGRES_USER @24:22', 'env-file-not-found compose/env_file @6:14'],
    ],
    ['a missing compose file', '[docker-compose.yml, nope.yml]', ['compose-not-found  @6:14']],
  ])('%s', (_name, compose, expected) => {
    const r = load(compose);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual(expected);
  });

  it('warns about a profile no service has', () => {
    const r = load('{ files: docker-compose.yml, profiles: [debgu] }');
    const d = r.diagnostics.find((x) => x.code === 'unknown-profile');
    expect(d && brief(d)).toBe('unknown-profile compose/profiles @6:14');
    expect(d?.hint).toBe('did you mean "debug"?');
  });

  it('a required variable that is unset is an error at its line in the compose file', () => {
    const r = load('{ files: docker-compose.yml, env_file: shared/common.env }');
    const req = r.diagnostics.filter((d) => d.code === 'required-variable');
    expect(req.map((d) => `${d.path} ${d.pos?.file.split('/').pop()}:${d.pos?.line}:${d.pos?.col}`)).toEqual([
      'services/db/environment/POSTGRES_USER docker-compose.yml:24:22',
    ]);
    expect(req[0]!.message).toBe('variable DB_USER is required: DB_USER must be set in .env');
    expect(r.fleet).toBeUndefined();
  });
});
