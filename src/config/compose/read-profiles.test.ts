// Profiles as `docker compose up` applies them: services without profiles always run, a profiled
// one only when slipway.yaml enables one of its profiles (`*`: all); a dependency on a left-out
// service is an error unless `required: false`; an enabled profile nobody has is a warning.
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { readCompose } from './read.ts';

const FILE = '/app/docker-compose.yml';
const TEXT = [
  'services:',
  '  web:',
  '    image: web:1',
  '  mailhog:',
  '    image: mailhog/mailhog',
  '    profiles: [debug, mail]',
  '  seed:',
  '    image: web:1',
  '    profiles: [tools]',
  '',
].join('\n');

const brief = (d: Diagnostic) => `${d.severity} ${d.code} ${d.path} @${d.pos?.line}:${d.pos?.col}`;

function read(profiles: string[], text = TEXT) {
  return readCompose(FILE, text, { profiles, readFile: () => undefined, origin: { file: '/app/slipway.yaml', line: 9, col: 5 } });
}

describe('readCompose: profiles', () => {
  it('runs only services without profiles by default, and says which were left out', () => {
    const r = read([]);
    expect(r.compose!.services.map((s) => s.name)).toEqual(['web']);
    expect(r.diagnostics.map(brief)).toEqual(['info profile-disabled services/mailhog/profiles @6:15', 'info profile-disabled services/seed/profiles @9:15']);
    expect(r.diagnostics[0]!.hint).toContain('profiles: [debug]');
  });

  it('adds the services of an enabled profile', () => {
    expect(read(['mail']).compose!.services.map((s) => s.name)).toEqual(['web', 'mailhog']);
    expect(read(['tools', 'debug']).compose!.services.map((s) => s.name)).toEqual(['web', 'mailhog', 'seed']);
  });

  it('enables every profile with *', () => {
    const r = read(['*']);
    expect(r.compose!.services.map((s) => s.name)).toEqual(['web', 'mailhog', 'seed']);
    expect(r.diagnostics).toEqual([]);
  });

  it('warns about an enabled profile that no service has, at slipway.yaml', () => {
    const r = read(['tool']);
    const d = r.diagnostics.find((x) => x.code === 'unknown-profile')!;
    expect(`${d.pos?.file}:${d.pos?.line}`).toBe('/app/slipway.yaml:9');
    expect(d.hint).toBe('did you mean "tools"?');
  });

  it('refuses a dependency on a service that is left out, naming the profile to enable', () => {
    const r = read([], `${TEXT}  app:\n    image: app\n    depends_on: [seed]\n`);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual(['error dependency-disabled services/app/depends_on/seed @12:18']);
    expect(r.diagnostics.find((d) => d.severity === 'error')!.hint).toContain('profiles: [tools]');
    expect(r.compose).toBeUndefined();
  });

  it('drops a dependency marked required: false when its service is left out', () => {
    const r = read([], `${TEXT}  app:\n    image: app\n    depends_on:\n      seed: { condition: service_started, required: false }\n`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.compose!.services.find((s) => s.name === 'app')!.dependsOn).toEqual([]);
  });

  it('refuses profiles that are not a list', () => {
    const r = read([], 'services:\n  a:\n    image: a\n    profiles: debug\n');
    expect(r.diagnostics.map(brief)).toEqual(['error bad-type services/a/profiles @4:15']);
  });
});
