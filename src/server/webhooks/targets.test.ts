// Mapping pushes to environments by their deploy policy, as two-apps-three-envs declares it
// (dev: any, staging: { branch: develop }, prod: { tags: "v*" }, protected): develop deploys dev
// and staging, v1.3.0 deploys prod only; explicit triggers narrow or widen within the policy.
import { describe, expect, it } from 'vitest';
import { type DeployPolicy, defaultTls, type Environment } from '../../config/fleet.ts';
import { targetsFor } from './targets.ts';

const env = (name: string, deploy: DeployPolicy, prot = false): Environment => ({
  name,
  server: 'vps1',
  deploy,
  protected: prot,
  auth: null,
  rateLimit: null,
  domain: null,
  tls: defaultTls('off'),
  limits: {},
});
const fleet = [env('dev', { kind: 'any' }), env('staging', { kind: 'branch', branches: ['develop'] }), env('prod', { kind: 'tags', pattern: 'v*' }, true)];
const branch = (name: string) => ({ kind: 'branch' as const, name });
const tag = (name: string) => ({ kind: 'tag' as const, name });

describe('targetsFor', () => {
  it('branch develop → dev and staging', () => {
    expect(targetsFor(branch('develop'), fleet)).toEqual({ envs: ['dev', 'staging'], refused: [] });
  });

  it('tag v1.3.0 → prod only (dev accepts any ref, but its trigger is branch pushes)', () => {
    expect(targetsFor(tag('v1.3.0'), fleet)).toEqual({ envs: ['prod'], refused: [] });
  });

  it('another branch → dev only; a tag outside v* → nothing', () => {
    expect(targetsFor(branch('feature/login'), fleet).envs).toEqual(['dev']);
    expect(targetsFor(tag('nightly-42'), fleet)).toEqual({ envs: [], refused: [] });
  });

  it('explicit triggers: dev only on develop, staging also on release/*, which its policy refuses', () => {
    const triggers = [
      { env: 'dev', branches: ['develop'] },
      { env: 'staging', branches: ['develop', 'release/*'] },
    ];
    expect(targetsFor(branch('feature/login'), fleet, triggers).envs).toEqual([]);
    const r = targetsFor(branch('release/2.0'), fleet, triggers);
    expect(r.envs).toEqual([]);
    expect(r.refused).toEqual([{ env: 'staging', reason: expect.stringMatching(/staging deploys only from branch "develop"; got branch "release\/2.0"/) }]);
  });

  it('a trigger cannot let a tag-only environment take a branch, and a protected one takes only tags', () => {
    const r = targetsFor(branch('main'), fleet, [{ env: 'prod', branches: ['main'] }]);
    expect(r.envs).toEqual(['dev']);
    expect(r.refused).toEqual([{ env: 'prod', reason: 'prod is protected: the webhook deploys it only from a tag' }]);
    const unprotected = [env('prod', { kind: 'tags', pattern: 'v*' })];
    expect(targetsFor(branch('main'), unprotected, [{ env: 'prod', branches: ['main'] }]).refused[0]?.reason).toMatch(
      /deploys only from a git tag matching "v\*"/,
    );
  });

  it('a protected environment with a branch policy is refused for branch pushes', () => {
    const qual = [env('qual', { kind: 'branch', branches: ['main'] }, true)];
    expect(targetsFor(branch('main'), qual)).toEqual({
      envs: [],
      refused: [{ env: 'qual', reason: 'qual is protected: the webhook deploys it only from a tag' }],
    });
  });
});
