// Interpolation as docker compose does it: variables from the .env beside the compose file, or
// from the env files slipway.yaml names instead; `$$`, defaults, alternatives; a missing required
// variable is an error at its file:line:col, an unset one a warning and an empty string.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { readCompose, type ReadComposeOptions } from './read.ts';

const FILE = '/app/docker-compose.yml';
const brief = (d: Diagnostic) => `${d.severity} ${d.code} ${d.path} @${d.pos?.file}:${d.pos?.line}:${d.pos?.col}`;

function read(compose: string, files: Record<string, string>, opts: ReadComposeOptions = {}) {
  return readCompose(FILE, compose, { readFile: (p) => files[p], ...opts });
}

const env = (r: ReturnType<typeof read>, name = 'a') => r.compose?.services.find((s) => s.name === name)?.environment;

describe('readCompose: interpolation variables', () => {
  const compose = 'services:\n  a:\n    image: app:${TAG}\n    environment:\n      URL: ${URL}\n      WHO: ${WHO:-nobody}\n';

  it('reads the .env beside the compose file, where a value may use the ones above it', () => {
    const r = read(compose, { '/app/.env': "TAG=1.4\nHOST=db\nURL=postgres://${HOST}:5432/app\nWHO='${not expanded}'\n" });
    expect(r.diagnostics).toEqual([]);
    expect(r.compose!.services[0]!.image).toBe('app:1.4');
    expect(env(r)).toEqual({ URL: 'postgres://db:5432/app', WHO: '${not expanded}' });
  });

  it('reads the env files it is given instead of .env, later files winning', () => {
    const r = read(
      compose,
      { '/app/.env': 'TAG=from-dotenv\n', '/app/base.env': 'TAG=1\nURL=u1\n', '/app/prod.env': 'TAG=2\n' },
      { envFiles: ['/app/base.env', '/app/prod.env'] },
    );
    expect(r.compose!.services[0]!.image).toBe('app:2');
    expect(env(r)).toEqual({ URL: 'u1', WHO: 'nobody' });
  });

  it('lets variables given by the caller win over the files, as the shell would', () => {
    const r = read(compose, { '/app/.env': 'TAG=1\nURL=u\n' }, { vars: { TAG: '9' } });
    expect(r.compose!.services[0]!.image).toBe('app:9');
  });

  it('works without any .env: unset variables become empty strings, with a warning where they are used', () => {
    const r = read(compose, {});
    expect(r.compose!.services[0]!.image).toBe('app:');
    expect(env(r)).toEqual({ URL: '', WHO: 'nobody' });
    expect(r.diagnostics.map(brief)).toEqual([
      `warning unset-variable services/a/image @${FILE}:3:12`,
      `warning unset-variable services/a/environment/URL @${FILE}:5:12`,
    ]);
    expect(r.diagnostics[0]!.hint).toContain('${TAG:-value}');
  });

  it('reports a missing env file at the place that named it', () => {
    const origin = { file: '/app/slipway.yaml', line: 7, col: 14 };
    const r = read(compose, {}, { envFiles: ['/app/nope.env'], origin });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual(['error env-file-not-found compose/env_file @/app/slipway.yaml:7:14']);
    expect(r.compose).toBeUndefined();
  });

  it.each([
    ['${V}', { V: 'x' }, 'x'],
    ['${V:-d}', { V: '' }, 'd'],
    ['${V-d}', { V: '' }, ''],
    ['${V-d}', {}, 'd'],
    ['${V:+alt}', { V: 'x' }, 'alt'],
    ['${V:+alt}', { V: '' }, ''],
    ['$V/$$V/$${V}', { V: 'x' }, 'x/$V/${V}'],
    ['${V:-${W:-deep}}', {}, 'deep'],
  ])('%s with %j → %s', (expr, vars, value) => {
    const r = read(`services:\n  a:\n    image: x\n    environment:\n      X: "${expr}"\n`, {}, { vars });
    expect(env(r)).toEqual({ X: value });
  });

  it('makes a missing required variable an error at its line and column', () => {
    const r = read('services:\n  a:\n    image: x\n    environment:\n      PASSWORD: "${DB_PASSWORD:?set DB_PASSWORD in .env}"\n', {});
    expect(r.diagnostics.map(brief)).toEqual([`error required-variable services/a/environment/PASSWORD @${FILE}:5:17`]);
    expect(r.diagnostics[0]!.message).toBe('variable DB_PASSWORD is required: set DB_PASSWORD in .env');
    expect(r.compose).toBeUndefined();
  });

  it('makes a malformed ${…} an error', () => {
    const r = read('services:\n  a:\n    image: "x:${TAG"\n', {});
    expect(r.diagnostics.map(brief)).toEqual([`error bad-interpolation services/a/image @${FILE}:3:12`]);
  });

  it('interpolates top-level keys and anchors once, where they are written', () => {
    const r = read('x-img: &img "app:${TAG}"\nservices:\n  a:\n    image: *img\n  b:\n    image: *img\n', {});
    expect(r.diagnostics.map(brief)).toEqual([`warning unset-variable x-img @${FILE}:1:13`]);
  });

  it('points problems inside .env at their line there', () => {
    const r = read(compose, { '/app/.env': 'TAG=1\nnot a line\nURL=${NOPE}\n' });
    expect(r.diagnostics.map(brief)).toEqual(['warning env-file-line  @/app/.env:2:1', 'warning unset-variable URL @/app/.env:3:1']);
  });

  it('gives an environment entry without a value the project variable of that name', () => {
    const r = read('services:\n  a:\n    image: x\n    environment: [TZ, LANG]\n', { '/app/.env': 'TZ=Europe/Paris\n' });
    expect(env(r)).toEqual({ TZ: 'Europe/Paris' });
    expect(r.diagnostics.map((d) => `${d.code} ${d.path}`)).toEqual(['env-from-shell services/a/environment/1']);
  });
});
