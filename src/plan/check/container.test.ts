// check: privileged containers, broad capabilities and an OOM order that would kill a protected
// environment first are warnings; the defaults raise none of them.
import { describe, expect, it } from 'vitest';
import type { ContainerOptions, Fleet } from '../../config/fleet.ts';
import { testFleet } from '../../../test/fixtures/test-fleet.ts';
import { desire } from '../desire/desire.ts';
import { check } from './check.ts';

const CODES = ['privileged-container', 'broad-capability', 'oom-order'];

function fleet(): Fleet {
  return testFleet({
    project: 'gs',
    envs: [{ name: 'prod', protected: true }, { name: 'staging' }, { name: 'dev' }],
    services: [{ name: 'postgres' }],
    apps: [{ name: 'shop', uses: ['postgres'], processes: { web: { port: 3000, replicas: 2 }, worker: {} } }],
  });
}

function withProcess(f: Fleet, process: string, env: string, o: ContainerOptions): Fleet {
  Object.assign(f.apps[0]!.perEnv[env]!.processes.find((p) => p.name === process)!, o);
  return f;
}

const ours = (f: Fleet) => check(f, desire(f)).filter((x) => CODES.includes(x.code));

describe('check: container settings', () => {
  it('the defaults raise nothing', () => {
    expect(ours(fleet())).toEqual([]);
  });

  it('warns once per privileged process, naming it and what to do instead', () => {
    const f = withProcess(fleet(), 'web', 'staging', { privileged: true });
    expect(ours(f)).toEqual([
      {
        severity: 'warning',
        code: 'privileged-container',
        server: 'main',
        env: 'staging',
        app: 'shop',
        subject: 'shop/staging/web',
        message:
          "shop/staging/web runs privileged on main: it can reach every device and the host's kernel, so whoever controls it controls the server and every other environment on it",
        hint: 'remove privileged: true from apps/shop/processes/web; grant what it needs with cap_add or devices instead',
      },
    ]);
  });

  it('warns on capabilities that reach the host, not on narrow ones', () => {
    const f = withProcess(withProcess(fleet(), 'worker', 'prod', { capAdd: ['SYS_ADMIN', 'NET_BIND_SERVICE'] }), 'web', 'dev', {
      capAdd: ['NET_BIND_SERVICE'],
    });
    expect(ours(f).map((x) => [x.code, x.subject, x.message])).toEqual([
      ['broad-capability', 'shop/prod/worker', 'shop/prod/worker adds SYS_ADMIN on main: a capability that lets it escape to the host'],
    ]);
  });

  it('warns when a protected environment would not be killed after every other on its server', () => {
    const f = fleet();
    f.environments.find((e) => e.name === 'prod')!.containers = { oomScoreAdj: 500 };
    const found = ours(f);
    expect(found.map((x) => [x.code, x.subject, x.message])).toEqual([
      ['oom-order', 'main/prod', 'prod (protected) has OOM score 500 on main, not below staging (300): under memory pressure the kernel may kill prod first'],
    ]);
    expect(found[0]!.hint).toBe('lower oom_score_adj of environment prod, or raise it for staging');
  });
});
