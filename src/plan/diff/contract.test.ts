// Contract test between desire and diff: containers observed back from the labels desire writes
// get the same keys, so a fleet that is fully deployed diffs to no changes.
import { redisAclDigest } from '../desire/redis-users.ts';
import { describe, expect, it } from 'vitest';
import { desire } from '../desire/desire.ts';
import type { DesiredState } from '../desire/desired.ts';
import { diff } from './diff.ts';
import { LABELS, containerKeyFromLabels, emptyObserved, roleFromLabels, type ObservedState } from './observed.ts';
import { testFleet } from '../../../test/fixtures/test-fleet.ts';

const fleet = testFleet({
  project: 'p',
  envs: [
    { name: 'prod', domain: '{app}.example.com' },
    { name: 'staging', domain: '{app}-staging.example.com' },
  ],
  services: [
    { name: 'postgres', kind: 'postgres' },
    { name: 'redis', kind: 'redis', scope: 'environment' },
  ],
  apps: [{ name: 'api', uses: ['postgres', 'redis'], processes: { web: { port: 3000, health: true }, worker: {} } }],
});

/** What `observe` would map back from the engines once the desired state is deployed. */
function deployed(d: DesiredState): ObservedState {
  return {
    project: d.project,
    servers: d.servers.map((s) => ({
      server: s.server,
      networks: s.networks.map((n) => ({ name: n.name, labels: n.labels })),
      volumes: s.volumes.map((v) => ({ name: v.name, labels: v.labels })),
      containers: s.containers.map((c) => {
        const labels: Record<string, string> = { ...c.labels, [LABELS.release]: 'r1' };
        return {
          name: `${c.name}-r1`,
          key: containerKeyFromLabels(labels) ?? '(none)',
          role: roleFromLabels(labels) ?? 'app',
          image: c.image.replace(/:current$/, ':r1'),
          labels,
          specHash: labels[LABELS.specHash],
          release: 'r1',
          state: 'running' as const,
        };
      }),
      routes: s.routes,
      databases: s.databases.map(({ service, instance, database, user }) => ({ service, instance, database, user })),
      redisDbs: s.redisDbs,
      // The ACLs as up records them once applied.
      redisAcls: [...new Set((s.redisUsers ?? []).map((u) => u.instance))].map((instance) => {
        const users = (s.redisUsers ?? []).filter((u) => u.instance === instance);
        return { instance, digest: redisAclDigest(users), users: users.map((u) => u.user) };
      }),
    })),
  };
}

describe('desire → diff contract', () => {
  it('keys derived from the labels desire writes equal the desired keys', () => {
    const d = desire(fleet);
    const o = deployed(d);
    expect(o.servers.flatMap((s) => s.containers.map((c) => c.key))).toEqual(d.servers.flatMap((s) => s.containers.map((c) => c.key)));
  });

  it('a fully deployed fleet has no changes; an empty server gets only creates', () => {
    const d = desire(fleet);
    expect(diff(d, deployed(d)).actions).toEqual([]);
    const fresh = diff(d, emptyObserved('p'));
    expect(fresh.actions.length).toBeGreaterThan(0);
    expect(fresh.actions.every((a) => a.kind === 'create' || a.type === 'proxy-config')).toBe(true);
    const types = fresh.actions.map((a) => a.type);
    expect(types.indexOf('network')).toBe(0);
    expect(types.lastIndexOf('network')).toBeLessThan(types.indexOf('volume'));
    expect(types.at(-1)).toBe('proxy-config');
  });
});
