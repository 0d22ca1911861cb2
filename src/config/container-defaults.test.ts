// container-defaults: OOM tiers by environment, log rotation filled in, and the layering
// defaults < environment < process.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LOGGING,
  DEFAULT_PIDS_LIMIT,
  defaultOomScoreAdj,
  effectiveContainerOptions,
  envScope,
  mergeContainerOptions,
  sharedScope,
  withRotation,
} from './container-defaults.ts';

const env = (name: string, prot = false, containers?: { oomScoreAdj?: number; pidsLimit?: number }) => ({
  name,
  protected: prot,
  ...(containers ? { containers } : {}),
});

describe('defaultOomScoreAdj', () => {
  it.each<[string, boolean, number]>([
    ['prod', true, 0],
    ['anything', true, 0],
    ['prod', false, 0],
    ['production', false, 0],
    ['staging', false, 300],
    ['qual', false, 300],
    ['uat', false, 300],
    ['preprod', false, 300],
    ['pr-42', false, 500],
    ['dev', false, 700],
    ['dev-alice', false, 700],
    ['preview', false, 700],
    ['test', false, 700],
  ])('%s (protected: %s) → %i', (name, prot, want) => expect(defaultOomScoreAdj(env(name, prot))).toBe(want));

  it('orders prod < staging < dev, whatever order the file lists them in', () => {
    const [dev, staging, prod] = ['dev', 'staging', 'prod'].map((n) => defaultOomScoreAdj(env(n, n === 'prod')));
    expect(prod!).toBeLessThan(staging!);
    expect(staging!).toBeLessThan(dev!);
  });
});

describe('withRotation', () => {
  it('fills 10m × 3 into json-file without max-size', () => {
    expect(withRotation({ driver: 'json-file', options: {} })).toEqual(DEFAULT_LOGGING);
    expect(withRotation({ driver: 'json-file', options: { compress: 'true' } }).options).toEqual({ compress: 'true', 'max-size': '10m', 'max-file': '3' });
  });
  it('keeps what is set: a max-size alone keeps Docker’s max-file; "-1" turns rotation off', () => {
    expect(withRotation({ driver: 'json-file', options: { 'max-size': '50m' } }).options).toEqual({ 'max-size': '50m' });
    expect(withRotation({ driver: 'json-file', options: { 'max-size': '-1' } }).options).toEqual({ 'max-size': '-1' });
  });
  it('leaves other drivers alone', () => {
    expect(withRotation({ driver: 'journald', options: { tag: 'x' } })).toEqual({ driver: 'journald', options: { tag: 'x' } });
    expect(withRotation({ driver: 'local', options: {} })).toEqual({ driver: 'local', options: {} });
  });
});

describe('mergeContainerOptions', () => {
  it('later layers win field by field; labels, sysctls, ulimits and tmpfs merge by key', () => {
    const merged = mergeContainerOptions(
      { user: 'app', labels: { a: '1', b: '1' }, ulimits: { nofile: { soft: 1, hard: 1 } }, capAdd: ['NET_ADMIN'] },
      undefined,
      { user: '1000:1000', labels: { b: '2' }, ulimits: { nproc: { soft: 2, hard: 2 } }, capAdd: ['SYS_NICE'] },
    );
    expect(merged).toEqual({
      user: '1000:1000',
      labels: { a: '1', b: '2' },
      ulimits: { nofile: { soft: 1, hard: 1 }, nproc: { soft: 2, hard: 2 } },
      capAdd: ['SYS_NICE'],
    });
  });
  it('does not share objects with its inputs', () => {
    const input = { labels: { a: '1' } };
    const merged = mergeContainerOptions(input);
    merged.labels!.a = 'changed';
    expect(input.labels.a).toBe('1');
  });
});

describe('effectiveContainerOptions', () => {
  it('gives every container rotation, a pids limit and its environment’s OOM score', () => {
    expect(effectiveContainerOptions(envScope(env('staging')), {})).toEqual({ logging: DEFAULT_LOGGING, pidsLimit: DEFAULT_PIDS_LIMIT, oomScoreAdj: 300 });
  });
  it('environment settings override the defaults; the process overrides both', () => {
    const scope = envScope(env('staging', false, { oomScoreAdj: 100, pidsLimit: 256 }));
    expect(effectiveContainerOptions(scope, {})).toMatchObject({ pidsLimit: 256, oomScoreAdj: 100 });
    expect(effectiveContainerOptions(scope, { pidsLimit: 4096, oomScoreAdj: -100, logging: { driver: 'json-file', options: { 'max-size': '1m' } } })).toEqual({
      logging: { driver: 'json-file', options: { 'max-size': '1m' } },
      pidsLimit: 4096,
      oomScoreAdj: -100,
    });
  });
  it('what serves several environments takes the lowest score, capped for the proxy', () => {
    expect(sharedScope([env('staging'), env('dev')]).oomScoreAdj).toBe(300);
    expect(sharedScope([env('staging'), env('prod', true)]).oomScoreAdj).toBe(0);
    expect(sharedScope([env('dev')], 0).oomScoreAdj).toBe(0);
    expect(sharedScope([env('prod', true, { oomScoreAdj: -200 })], 0).oomScoreAdj).toBe(-200);
  });
});
