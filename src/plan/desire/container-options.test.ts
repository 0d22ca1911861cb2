// desire: container settings. Every container (app, shared service, proxy) gets log rotation, a
// pids limit and an OOM score that orders prod < staging < dev; the environment and then the
// process override them; every setting reaches the ContainerSpec and its spec hash.
import { describe, expect, it } from 'vitest';
import type { ContainerOptions, Fleet } from '../../config/fleet.ts';
import { testFleet } from '../../../test/fixtures/test-fleet.ts';
import { desire } from './desire.ts';
import type { ContainerSpec } from './desired.ts';

const ROTATED = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } };

function fleet(): Fleet {
  return testFleet({
    project: 'gs',
    envs: [{ name: 'prod', protected: true }, { name: 'staging' }, { name: 'dev' }],
    services: [{ name: 'postgres' }, { name: 'redis', scope: 'environment' }],
    apps: [{ name: 'shop', uses: ['postgres', 'redis'], processes: { web: { port: 3000, replicas: 2 }, worker: {} } }],
  });
}

/** Sets container options on a process in every environment (or one). */
function withProcess(f: Fleet, process: string, o: ContainerOptions, env?: string): Fleet {
  for (const [name, appEnv] of Object.entries(f.apps[0]!.perEnv)) {
    if (env !== undefined && name !== env) continue;
    const p = appEnv.processes.find((x) => x.name === process)!;
    Object.assign(p, o);
  }
  return f;
}

const containers = (f: Fleet): ContainerSpec[] => desire(f).servers.flatMap((s) => s.containers);
const byKey = (f: Fleet, key: string): ContainerSpec => {
  const c = containers(f).find((x) => x.key === key);
  if (!c) throw new Error(`no container ${key}`);
  return c;
};

describe('desire: protective defaults', () => {
  const all = containers(fleet());

  it('every container rotates its logs and has a pids limit', () => {
    expect(all.map((c) => c.key)).toContain('proxy');
    for (const c of all) {
      expect(c.logging, c.key).toEqual(ROTATED);
      expect(c.pidsLimit, c.key).toBe(1024);
    }
  });

  it('OOM scores: prod 0 < staging 300 < dev 700, for apps and environment-scoped services alike', () => {
    const score = (key: string) => all.find((c) => c.key === key)!.oomScoreAdj;
    expect(['shop/prod/web/0', 'shop/prod/web/1', 'shop/prod/worker/0', 'service/redis/prod'].map(score)).toEqual([0, 0, 0, 0]);
    expect(['shop/staging/web/0', 'shop/staging/worker/0', 'service/redis/staging'].map(score)).toEqual([300, 300, 300]);
    expect(['shop/dev/web/0', 'shop/dev/worker/0', 'service/redis/dev'].map(score)).toEqual([700, 700, 700]);
  });

  it('a server-scoped service and the proxy are as protected as the most protected environment they serve', () => {
    expect(byKey(fleet(), 'service/postgres').oomScoreAdj).toBe(0);
    expect(byKey(fleet(), 'proxy').oomScoreAdj).toBe(0);
    const nonProd = fleet();
    nonProd.environments = nonProd.environments.filter((e) => e.name !== 'prod');
    delete nonProd.apps[0]!.perEnv.prod;
    nonProd.apps[0]!.environments = ['staging', 'dev'];
    expect(byKey(nonProd, 'service/postgres').oomScoreAdj).toBe(300);
    // The proxy stays at the prod default: adding prod later does not recreate it.
    expect(byKey(nonProd, 'proxy').oomScoreAdj).toBe(0);
  });

  it('keeps restart unless-stopped and sets nothing else by default', () => {
    const web = byKey(fleet(), 'shop/prod/web/0');
    expect(web.restart).toBe('unless-stopped');
    for (const k of ['user', 'entrypoint', 'tmpfs', 'capAdd', 'readOnly', 'privileged', 'ulimits', 'shmSize', 'init', 'stopSignal', 'devices', 'dns'] as const)
      expect(web[k], k).toBeUndefined();
  });
});

describe('desire: overrides', () => {
  it('environment settings apply to its apps and its environment-scoped services', () => {
    const f = fleet();
    f.environments.find((e) => e.name === 'staging')!.containers = { oomScoreAdj: 100, pidsLimit: 256, logging: { driver: 'local', options: {} } };
    for (const key of ['shop/staging/web/0', 'service/redis/staging']) {
      expect(byKey(f, key)).toMatchObject({ oomScoreAdj: 100, pidsLimit: 256, logging: { driver: 'local', options: {} } });
    }
    expect(byKey(f, 'shop/dev/web/0')).toMatchObject({ oomScoreAdj: 700, pidsLimit: 1024, logging: ROTATED });
  });

  it('process settings win over the environment’s', () => {
    const f = withProcess(fleet(), 'worker', {
      pidsLimit: 4096,
      oomScoreAdj: 50,
      logging: { driver: 'json-file', options: { 'max-size': '50m', 'max-file': '5' } },
    });
    f.environments.find((e) => e.name === 'staging')!.containers = { oomScoreAdj: 100, pidsLimit: 256 };
    expect(byKey(f, 'shop/staging/worker/0')).toMatchObject({
      pidsLimit: 4096,
      oomScoreAdj: 50,
      logging: { driver: 'json-file', options: { 'max-size': '50m', 'max-file': '5' } },
    });
    expect(byKey(f, 'shop/staging/web/0')).toMatchObject({ pidsLimit: 256, oomScoreAdj: 100 });
  });

  it('a json-file logging setting without max-size still rotates', () => {
    const f = withProcess(fleet(), 'web', { logging: { driver: 'json-file', options: { compress: 'true' } } });
    expect(byKey(f, 'shop/prod/web/1').logging).toEqual({ driver: 'json-file', options: { compress: 'true', 'max-size': '10m', 'max-file': '3' } });
  });

  it('carries every process setting into each replica', () => {
    const o: ContainerOptions = {
      user: '1000:1000',
      workingDir: '/srv',
      entrypoint: ['/sbin/tini', '--'],
      tmpfs: { '/tmp': 'size=64m' },
      capAdd: ['NET_BIND_SERVICE'],
      capDrop: ['ALL'],
      readOnly: true,
      ulimits: { nofile: { soft: 1024, hard: 65536 } },
      sysctls: { 'net.core.somaxconn': '1024' },
      shmSize: 256 * 1024 ** 2,
      init: true,
      stopSignal: 'SIGQUIT',
      extraHosts: [{ host: 'db.internal', ip: '10.0.0.5' }],
      devices: [{ host: '/dev/fuse', container: '/dev/fuse', permissions: 'rwm' }],
      dns: ['1.1.1.1'],
    };
    const f = withProcess(fleet(), 'web', o);
    for (const r of [0, 1]) expect(byKey(f, `shop/prod/web/${r}`)).toMatchObject(o);
    expect(byKey(f, 'shop/prod/worker/0').user).toBeUndefined();
  });

  it('restart "no" (a one-off task) and on-failure with retries', () => {
    const f = withProcess(withProcess(fleet(), 'worker', { restart: 'no' }, 'dev'), 'worker', { restart: 'on-failure', restartMaxRetries: 3 }, 'prod');
    expect(byKey(f, 'shop/dev/worker/0').restart).toBe('no');
    expect(byKey(f, 'shop/prod/worker/0')).toMatchObject({ restart: 'on-failure', restartMaxRetries: 3 });
    expect(byKey(f, 'shop/staging/worker/0').restart).toBe('unless-stopped');
  });

  it('user labels join Slipway’s, which always win', () => {
    const f = withProcess(fleet(), 'web', { labels: { 'com.example.team': 'payments', 'slipway.env': 'forged' } });
    const web = byKey(f, 'shop/prod/web/0');
    expect(web.labels).toMatchObject({ 'com.example.team': 'payments', 'slipway.env': 'prod', 'slipway.process': 'web' });
  });

  it('service settings reach its instances', () => {
    const f = fleet();
    Object.assign(f.services[0]!, { shmSize: 256 * 1024 ** 2, ulimits: { nofile: { soft: 4096, hard: 4096 } }, stopTimeoutS: 120 });
    expect(byKey(f, 'service/postgres')).toMatchObject({ shmSize: 256 * 1024 ** 2, ulimits: { nofile: { soft: 4096, hard: 4096 } }, stopTimeoutS: 120 });
  });
});

describe('desire: settings are in the spec hash', () => {
  const base = byKey(fleet(), 'shop/prod/worker/0').specHash;
  it.each<[string, ContainerOptions]>([
    ['user', { user: 'app' }],
    ['entrypoint', { entrypoint: [] }],
    ['tmpfs', { tmpfs: { '/tmp': '' } }],
    ['read_only', { readOnly: true }],
    ['cap_add', { capAdd: ['NET_ADMIN'] }],
    ['ulimits', { ulimits: { nofile: { soft: 1, hard: 1 } } }],
    ['restart', { restart: 'no' }],
    ['labels', { labels: { team: 'a' } }],
    ['logging', { logging: { driver: 'json-file', options: { 'max-size': '20m' } } }],
    ['pids_limit', { pidsLimit: 10 }],
    ['oom_score_adj', { oomScoreAdj: 1 }],
    ['stop_signal', { stopSignal: 'SIGINT' }],
  ])('a change of %s replaces the container', (_, o) => {
    expect(byKey(withProcess(fleet(), 'worker', o), 'shop/prod/worker/0').specHash).not.toBe(base);
  });
  it('is unchanged when nothing changes', () => {
    expect(byKey(fleet(), 'shop/prod/worker/0').specHash).toBe(base);
  });
  it('every replica has the same hash', () => {
    expect(byKey(fleet(), 'shop/prod/web/0').specHash).toBe(byKey(fleet(), 'shop/prod/web/1').specHash);
  });
});
