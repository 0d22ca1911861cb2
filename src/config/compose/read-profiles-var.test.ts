// COMPOSE_PROFILES from the .env (or the env files slipway.yaml names) enables profiles as docker
// compose does; profiles slipway.yaml names replace it, as compose's --profile flags do.
import { describe, expect, it } from 'vitest';
import { readCompose } from './read.ts';
import { enabledProfiles } from './read-profiles.ts';

const FILE = '/app/docker-compose.yml';
const TEXT = [
  'services:',
  '  web:',
  '    image: web:1',
  '  snuba:',
  '    image: snuba:1',
  '    profiles: [feature-complete]',
  '  seed:',
  '    image: web:1',
  '    profiles: [tools]',
  '',
].join('\n');

function read(dotEnv: string | undefined, profiles: string[] = []) {
  return readCompose(FILE, TEXT, { profiles, readFile: (p) => (p === '/app/.env' ? dotEnv : undefined) });
}

describe('COMPOSE_PROFILES', () => {
  it('from the .env beside the compose file enables its profiles (comma-separated, spaces trimmed)', () => {
    expect(read('COMPOSE_PROFILES=feature-complete\n').compose!.services.map((s) => s.name)).toEqual(['web', 'snuba']);
    expect(read('COMPOSE_PROFILES=tools, feature-complete\n').compose!.services.map((s) => s.name)).toEqual(['web', 'snuba', 'seed']);
  });

  it('profiles named in slipway.yaml replace it', () => {
    expect(read('COMPOSE_PROFILES=feature-complete\n', ['tools']).compose!.services.map((s) => s.name)).toEqual(['web', 'seed']);
  });

  it('unset or empty: only services without profiles', () => {
    expect(read(undefined).compose!.services.map((s) => s.name)).toEqual(['web']);
    expect(read('COMPOSE_PROFILES=\n').compose!.services.map((s) => s.name)).toEqual(['web']);
  });

  it('a profile it names that no service has is a warning that names COMPOSE_PROFILES', () => {
    const r = read('COMPOSE_PROFILES=feature-complet\n');
    const d = r.diagnostics.find((x) => x.code === 'unknown-profile');
    expect(d?.message).toBe('profile "feature-complet" is enabled by COMPOSE_PROFILES in the env file, but no service of the compose file has it');
    expect(d?.hint).toBe('did you mean "feature-complete"?');
  });

  it('enabledProfiles says where they came from', () => {
    expect(enabledProfiles([], { COMPOSE_PROFILES: 'a,b' })).toEqual({ profiles: ['a', 'b'], from: 'COMPOSE_PROFILES' });
    expect(enabledProfiles(['c'], { COMPOSE_PROFILES: 'a' })).toEqual({ profiles: ['c'], from: 'slipway.yaml' });
    expect(enabledProfiles(undefined, {})).toEqual({ profiles: [], from: 'slipway.yaml' });
  });
});
