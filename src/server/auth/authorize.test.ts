import { describe, expect, it } from 'vitest';
import { type Action, authorize, type Principal, type Role } from './authorize.ts';

const user = (role: Role): Principal => ({ kind: 'user', name: 'u', role });
const token = (role: Role, envs?: string[]): Principal => ({ kind: 'token', name: 't', role, ...(envs ? { envs } : {}) });
const open = { protected: false };
const prot = { protected: true };

describe('authorize', () => {
  it.each<[string, Principal, Action, string | undefined, { protected: boolean } | undefined, boolean]>([
    ['viewer views', user('viewer'), 'view', undefined, undefined, true],
    ['viewer views an env', user('viewer'), 'view', 'prod', prot, true],
    ['viewer may not deploy', user('viewer'), 'deploy', 'staging', open, false],
    ['viewer may not roll back', user('viewer'), 'rollback', 'staging', open, false],
    ['viewer may not toggle maintenance', user('viewer'), 'maintenance', 'staging', open, false],
    ['viewer may not back up', user('viewer'), 'backup', 'staging', open, false],
    ['viewer is no admin', user('viewer'), 'admin', undefined, undefined, false],
    ['deployer deploys staging', user('deployer'), 'deploy', 'staging', open, true],
    ['deployer rolls back staging', user('deployer'), 'rollback', 'staging', open, true],
    ['deployer may not deploy a protected env', user('deployer'), 'deploy', 'prod', prot, false],
    ['deployer may not roll back a protected env', user('deployer'), 'rollback', 'prod', prot, false],
    ['deployer toggles maintenance on a protected env', user('deployer'), 'maintenance', 'prod', prot, true],
    ['deployer backs up a protected env', user('deployer'), 'backup', 'prod', prot, true],
    ['deployer is no admin', user('deployer'), 'admin', undefined, undefined, false],
    ['admin deploys a protected env', user('admin'), 'deploy', 'prod', prot, true],
    ['admin rolls back a protected env', user('admin'), 'rollback', 'prod', prot, true],
    ['admin does admin', user('admin'), 'admin', undefined, undefined, true],
    ['staging-only token deploys staging', token('deployer', ['staging']), 'deploy', 'staging', open, true],
    ['staging-only token refused for prod', token('deployer', ['staging']), 'deploy', 'prod', open, false],
    ['staging-only admin token refused for prod', token('admin', ['staging']), 'deploy', 'prod', prot, false],
    ['env-limited admin token refused admin', token('admin', ['staging']), 'admin', undefined, undefined, false],
    ['env-limited token views the fleet', token('viewer', ['staging']), 'view', undefined, undefined, true],
    ['env-limited token refused an env-less action', token('deployer', ['staging']), 'deploy', undefined, undefined, false],
    ['unlimited deployer token deploys', token('deployer'), 'deploy', 'dev', open, true],
    ['unlimited admin token does admin', token('admin'), 'admin', undefined, undefined, true],
  ])('%s', (_label, principal, action, env, info, ok) => {
    const d = authorize(principal, action, env, info);
    expect(d.ok).toBe(ok);
    if (!d.ok) expect(d.hint.length).toBeGreaterThan(0);
  });

  it('says why a limited token is refused', () => {
    const d = authorize({ kind: 'token', name: 'ci-staging', role: 'deployer', envs: ['staging'] }, 'deploy', 'prod', open);
    expect(d).toMatchObject({ ok: false, reason: 'token ci-staging is limited to staging and may not act on prod' });
  });
});
