// Redis ACL users in desired state: who gets which keys and commands, and what changes the digest.
import { describe, expect, it } from 'vitest';
import { testFleet, type TFleet } from '../../../test/fixtures/test-fleet.ts';
import { desire } from './desire.ts';
import type { RedisUserSpec } from './desired.ts';
import { redisAclDigest, redisAclRules } from './redis-users.ts';

const fleet = (scope: 'server' | 'environment', env: Record<string, Record<string, string>> = {}): TFleet => ({
  project: 'p',
  servers: [{ name: 's1', memory: '8GiB' }],
  envs: [
    { name: 'staging', server: 's1' },
    { name: 'prod', server: 's1', protected: true },
  ],
  services: [{ name: 'redis', scope }],
  apps: [
    {
      name: 'api',
      uses: ['redis'],
      processes: { web: { port: 8000 } },
      perEnv: Object.fromEntries(Object.entries(env).map(([e, vars]) => [e, { env: vars }])),
    },
  ],
});
const users = (t: TFleet): RedisUserSpec[] => desire(testFleet(t)).servers[0]!.redisUsers ?? [];

describe('redis users', () => {
  it('one user per app and environment, with its DB and the prefix its env declares (REDIS_PREFIX, KEY_PREFIX, CELERY_GLOBAL_KEYPREFIX…)', () => {
    const us = users(fleet('server', { staging: { KEY_PREFIX: 'api:staging:', CELERY_GLOBAL_KEYPREFIX: 'q:staging:' }, prod: { REDIS_PREFIX: 'api:prod:' } }));
    expect(us.map((u) => [u.user, u.db, u.keyPrefixes, u.soleUser, u.sharedAcrossEnvs])).toEqual([
      ['api.prod', 1, ['api:prod:'], false, true],
      ['api.staging', 0, ['api:staging:', 'q:staging:'], false, true],
    ]);
    expect(us[0]!.urlSecret).toBe('slipway/p-redis/users/api.prod/url');
  });

  it('a prefixed user on a shared instance: its keys and channels only, dangerous commands, FLUSHDB, SCAN and RANDOMKEY denied', () => {
    const [prod] = users(fleet('server', { prod: { REDIS_PREFIX: 'api:prod:' } }));
    expect(redisAclRules(prod!)).toEqual([
      '~api:prod:*',
      'resetchannels',
      '&api:prod:*',
      '+@all',
      '-@dangerous',
      '-flushall',
      '-config',
      '-debug',
      '-module',
      '-shutdown',
      '-replicaof',
      '-slaveof',
      '-function',
      '-script|flush',
      '-script|kill',
      '-flushdb',
      '-scan',
      '-randomkey',
    ]);
  });

  it("the one user of an environment's own instance owns every key: FLUSHDB, KEYS and SCAN stay", () => {
    const [u] = users(fleet('environment'));
    const rules = redisAclRules(u!);
    expect(rules.slice(0, 3)).toEqual(['~*', 'resetchannels', '&*']);
    expect(rules.slice(-2)).toEqual(['+flushdb', '+keys']);
    expect(rules).not.toContain('-scan');
  });

  it('glob characters in a prefix match themselves only', () => {
    const [prod] = users(fleet('server', { prod: { REDIS_PREFIX: 'a*b?[c]' } }));
    expect(redisAclRules(prod!).slice(0, 3)).toEqual(['~a\\*b\\?\\[c\\]*', 'resetchannels', '&a\\*b\\?\\[c\\]*']);
  });

  it('a prefix with spaces or quotes is not used (it cannot be one word of an ACL rule)', () => {
    const [prod] = users(fleet('server', { prod: { REDIS_PREFIX: 'a b' } }));
    expect(prod!.keyPrefixes).toEqual([]);
  });

  it('the digest changes with the rules and the users, not with anything else', () => {
    const a = users(fleet('server', { prod: { REDIS_PREFIX: 'api:prod:' } }));
    expect(redisAclDigest(a)).toBe(redisAclDigest(users(fleet('server', { prod: { REDIS_PREFIX: 'api:prod:' } }))));
    expect(redisAclDigest(a)).not.toBe(redisAclDigest(users(fleet('server', { prod: { REDIS_PREFIX: 'api:p:' } }))));
    expect(redisAclDigest(a)).not.toBe(redisAclDigest(a.slice(1)));
  });
});
