// hash: stable JSON and the 12-hex spec hash ignore key and list order, never see secret values.
import { describe, expect, it } from 'vitest';
import { specHash, stableStringify, type HashedFields } from './hash.ts';

const base: HashedFields = {
  image: 'p/a:current',
  env_vars: { A: { kind: 'plain', value: '1' }, S: { kind: 'secret', name: 's' } },
  mounts: { v: '/v' },
  networks: [
    { network: 'p-prod', aliases: ['a-prod-web'] },
    { network: 'p-prod-edge', aliases: ['a-prod-web'] },
  ],
  health: null,
  publish: [],
};

describe('stableStringify', () => {
  it('sorts keys and drops undefined', () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: undefined }], e: undefined })).toBe('{"a":[{"d":2}],"b":1}');
  });
});

describe('specHash', () => {
  it('is 12 hex chars and stable', () => {
    expect(specHash(base)).toMatch(/^[0-9a-f]{12}$/);
    expect(specHash({ ...base })).toBe(specHash(base));
  });
  it('ignores key order and network order', () => {
    const reordered: HashedFields = {
      ...base,
      env_vars: { S: { kind: 'secret', name: 's' }, A: { kind: 'plain', value: '1' } },
      networks: [...base.networks].reverse(),
    };
    expect(specHash(reordered)).toBe(specHash(base));
  });
  it.each<[string, Partial<HashedFields>]>([
    ['image', { image: 'p/a:other' }],
    ['alias', { networks: [{ network: 'p-prod', aliases: ['x'] }] }],
    ['cpus', { cpus: 1 }],
    ['publish', { publish: ['80:80'] }],
    ['command', { command: ['run'] }],
    ['restart', { restart: 'no' }],
    ['logging', { logging: { driver: 'json-file', options: { 'max-size': '10m' } } }],
    ['pids limit', { pidsLimit: 100 }],
    ['OOM score', { oomScoreAdj: 300 }],
    ['user label', { labels: { team: 'a' } }],
    ['tmpfs', { tmpfs: { '/tmp': '' } }],
  ])('changes with %s', (_, change) => {
    expect(specHash({ ...base, ...change })).not.toBe(specHash(base));
  });
  it("ignores Slipway's own labels (replica, spec hash), which differ between replicas", () => {
    expect(specHash({ ...base, labels: { 'slipway.replica': '1', 'slipway.spec-hash': 'x' } })).toBe(specHash(base));
    expect(specHash({ ...base, labels: { 'slipway.replica': '1', team: 'a' } })).toBe(specHash({ ...base, labels: { team: 'a' } }));
  });
});
