// Tests for the observed-state helpers: keys from labels, ownership, emptyObserved.
import { describe, expect, it } from 'vitest';
import { containerKeyFromLabels, emptyObserved, ownedBy, roleFromLabels } from './observed.ts';

describe('containerKeyFromLabels', () => {
  it.each([
    [{ 'slipway.role': 'app', 'slipway.app': 'a', 'slipway.env': 'prod', 'slipway.process': 'web', 'slipway.replica': '2' }, 'a/prod/web/2'],
    [{ 'slipway.role': 'app', 'slipway.app': 'a', 'slipway.env': 'prod', 'slipway.process': 'web' }, 'a/prod/web/0'],
    [{ 'slipway.role': 'release-task', 'slipway.app': 'a', 'slipway.env': 'qa', 'slipway.process': 'migrate' }, 'a/qa/migrate/0'],
    [{ 'slipway.role': 'service', 'slipway.service': 'postgres' }, 'service/postgres'],
    [{ 'slipway.role': 'service', 'slipway.service': 'redis', 'slipway.env': 'staging' }, 'service/redis/staging'],
    [{ 'slipway.role': 'proxy' }, 'proxy'],
    [{ 'slipway.role': 'app', 'slipway.app': 'a' }, undefined],
    [{ 'slipway.role': 'service' }, undefined],
    [{ 'slipway.role': 'db' }, undefined],
    [{}, undefined],
  ])('%j → %s', (labels, key) => {
    expect(containerKeyFromLabels(labels)).toBe(key);
  });

  it('reads the role and ownership only from labels', () => {
    expect(roleFromLabels({ 'slipway.role': 'proxy' })).toBe('proxy');
    expect(roleFromLabels({ 'slipway.role': 'other' })).toBeUndefined();
    expect(ownedBy({ 'slipway.project': 'p' }, 'p')).toBe(true);
    expect(ownedBy({ 'slipway.project': 'q' }, 'p')).toBe(false);
    expect(ownedBy({}, 'p')).toBe(false);
  });

  it('emptyObserved has no servers', () => {
    expect(emptyObserved('p')).toEqual({ project: 'p', servers: [] });
  });
});
