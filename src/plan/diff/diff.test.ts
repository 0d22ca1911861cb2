// Table tests for diff: hand-built desired/observed states in, ordered plan actions out — what
// `up` applies (`actions`), app container changes left to deploy (`deploy`), and data kept.
import { defaultTls } from '../../config/fleet.ts';
import { describe, expect, it } from 'vitest';
import { diff } from './diff.ts';
import { VOLUME_DELETE_REASON, VOLUME_KEEP_REASON } from './storage.ts';
import {
  PROJECT,
  SERVER,
  appContainer,
  desiredServer,
  desiredState,
  observedFrom,
  observedMatching,
  route,
  serviceContainer,
} from '../../../test/fixtures/diff-fixtures.ts';
import { LABELS, emptyObserved, type ObservedState } from './observed.ts';
import type { Action, Plan } from './plan.ts';

const brief = (p: Plan): string[] => p.actions.map((a) => `${a.kind} ${a.type} ${a.id}`);
const briefDeploy = (p: Plan): string[] => p.deploy.map((a) => `${a.kind} ${a.type} ${a.id}`);
const find = (p: Plan, type: Action['type'], id: string): Action[] => p.actions.filter((a) => a.type === type && a.id === id);

/** Matching observed state, then `edit` applied to its only server. */
function observedWith(edit: (s: ObservedState['servers'][number]) => void): ObservedState {
  const o = observedMatching(desiredState());
  edit(o.servers[0]!);
  return o;
}

describe('diff', () => {
  it('empty observed: creates everything, in phase order; app containers are left to deploy', () => {
    const plan = diff(desiredState(), emptyObserved(PROJECT));
    expect(brief(plan)).toEqual([
      'create network aletheia-prod',
      'create network aletheia-prod-edge',
      'create volume aletheia-postgres-data',
      'create volume aletheia-prod-aletheia-media',
      'create container service/postgres',
      'create database service/postgres/aletheia_prod',
      'create redis-db service/redis/db0',
      'create container proxy',
      'create route aletheia.example.com',
      'create route www.aletheia.example.com',
      'update proxy-config caddy',
    ]);
    expect(briefDeploy(plan)).toEqual([
      'create container aletheia/prod/scheduler/0',
      'create container aletheia/prod/web/0',
      'create container aletheia/prod/web/1',
      'create container aletheia/prod/worker/0',
    ]);
    expect(plan.summary).toEqual({ create: 10, update: 1, replace: 0, delete: 0, 'run-once': 0 });
    expect(plan.kept).toEqual([]);
    expect([...plan.actions, ...plan.deploy].every((a) => a.server === SERVER)).toBe(true);
  });

  it('identical state: no actions', () => {
    const d = desiredState();
    const plan = diff(d, observedMatching(d));
    expect(plan).toEqual({ project: PROJECT, actions: [], summary: { create: 0, update: 0, replace: 0, delete: 0, 'run-once': 0 }, deploy: [], kept: [] });
  });

  it('is deterministic whatever the observed order', () => {
    const d = desiredState();
    const o = observedMatching(d);
    const s = o.servers[0]!;
    for (const c of s.containers) c.specHash = 'old';
    s.networks.push({ name: 'aletheia-old', labels: { [LABELS.project]: PROJECT } });
    const a = diff(d, o);
    s.containers.reverse();
    s.networks.reverse();
    s.volumes.reverse();
    const b = diff(d, o);
    expect(b).toEqual(a);
  });

  const replaceCases: {
    name: string;
    edit: (s: ObservedState['servers'][number]) => void;
    id: string;
    reason: RegExp;
    strategy: 'start-first' | 'stop-first';
    changes?: Record<string, [unknown, unknown]>;
  }[] = [
    {
      name: 'hash only: reason shows both hashes; web is start-first',
      edit: (s) => (s.containers.find((c) => c.key === 'aletheia/prod/web/0')!.specHash = 'h-old'),
      id: 'aletheia/prod/web/0',
      reason: /^spec changed \(hash h-old → h-web-0\); new container is created and healthy before the old one is deleted \(zero downtime\)$/,
      strategy: 'start-first',
    },
    {
      name: 'label change is named as a field',
      edit: (s) => {
        const c = s.containers.find((x) => x.key === 'aletheia/prod/worker/0')!;
        c.specHash = 'h-old';
        c.labels = { ...c.labels, [LABELS.env]: 'staging' };
      },
      id: 'aletheia/prod/worker/0',
      reason: /^spec changed: labels\.slipway\.env;/,
      strategy: 'start-first',
      changes: { 'labels.slipway.env': ['staging', 'prod'] },
    },
    {
      name: 'singleton is replaced delete-then-create, and says so',
      edit: (s) => (s.containers.find((c) => c.key === 'aletheia/prod/scheduler/0')!.specHash = 'h-old'),
      id: 'aletheia/prod/scheduler/0',
      reason: /singleton: old container is deleted before the new one is created \(brief downtime\)$/,
      strategy: 'stop-first',
    },
    {
      name: 'pinned image change is named; service is stop-first',
      edit: (s) => {
        const c = s.containers.find((x) => x.key === 'service/postgres')!;
        c.specHash = 'h-old';
        c.image = 'postgres:16';
      },
      id: 'service/postgres',
      reason: /^spec changed: image; singleton/,
      strategy: 'stop-first',
      changes: { image: ['postgres:16', 'postgres:17'] },
    },
    {
      name: 'dead container with the same hash is recreated',
      edit: (s) => (s.containers.find((c) => c.key === 'aletheia/prod/web/1')!.state = 'dead'),
      id: 'aletheia/prod/web/1',
      reason: /^container is dead; new container/,
      strategy: 'start-first',
    },
  ];
  it.each(replaceCases)('replace: $name', ({ edit, id, reason, strategy, changes }) => {
    const plan = diff(desiredState(), observedWith(edit));
    // A service is replaced by up; an app container only by a deploy (a new release).
    const [mine, other] = id.startsWith('service/') ? [plan.actions, plan.deploy] : [plan.deploy, plan.actions];
    expect(mine.map((a) => `${a.kind} ${a.type} ${a.id}`)).toEqual([`replace container ${id}`]);
    expect(other).toEqual([]);
    const a = mine[0]!;
    expect(a.reason).toMatch(reason);
    expect(a.strategy).toBe(strategy);
    expect(a.target).toMatch(/-r1$/);
    expect(a.changes).toEqual(changes);
    expect(plan.summary.replace).toBe(plan.actions.length);
  });

  it('ignores image differences of git-built :current placeholders', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        const c = s.containers.find((x) => x.key === 'aletheia/prod/web/0')!;
        c.image = 'aletheia/aletheia:r7';
      }),
    );
    expect([...plan.actions, ...plan.deploy]).toEqual([]);
    const hashed = diff(
      desiredState(),
      observedWith((s) => {
        const c = s.containers.find((x) => x.key === 'aletheia/prod/web/0')!;
        c.image = 'aletheia/aletheia:r7';
        c.specHash = 'h-old';
      }),
    );
    expect(hashed.deploy[0]!.reason).toMatch(/^spec changed \(hash h-old → h-web-0\)/);
    expect(hashed.deploy[0]!.changes).toBeUndefined();
  });

  it.each([
    ['exited', 'start: container is exited'],
    ['created', 'start: container is created'],
    ['paused', 'unpause: container is paused'],
  ] as const)('same hash, %s: update with reason "%s" (left to deploy for an app)', (state, reason) => {
    const plan = diff(
      desiredState(),
      observedWith((s) => (s.containers.find((c) => c.key === 'aletheia/prod/worker/0')!.state = state)),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.deploy).toEqual([
      {
        kind: 'update',
        type: 'container',
        server: SERVER,
        id: 'aletheia/prod/worker/0',
        target: 'aletheia-aletheia-prod-worker-0-r1',
        reason,
        changes: { state: [state, 'running'] },
      },
    ]);
  });

  it('running or restarting with the same hash: no action', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => (s.containers[0]!.state = 'restarting')),
    );
    expect(plan.actions).toEqual([]);
  });

  it('extra objects of this project: containers and networks are deleted, a volume is kept', () => {
    const extra = appContainer('old', 0);
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        s.containers.push(observedFrom(extra));
        s.networks.push({ name: 'aletheia-qual', labels: { [LABELS.project]: PROJECT } });
        s.volumes.push({ name: 'aletheia-qual-aletheia-media', labels: { [LABELS.project]: PROJECT } });
      }),
    );
    expect(brief(plan)).toEqual(['delete container aletheia/prod/old/0', 'delete network aletheia-qual']);
    expect(plan.actions[0]!.target).toBe('aletheia-aletheia-prod-old-0-r1');
    expect(plan.actions[0]!.reason).toBe('no longer in the fleet');
    expect(plan.actions.some((a) => a.destructive)).toBe(false);
    expect(plan.kept).toEqual([{ type: 'volume', server: SERVER, id: 'aletheia-qual-aletheia-media', reason: VOLUME_KEEP_REASON }]);
    expect(VOLUME_KEEP_REASON).toContain('removed only with --destroy-data');
    expect(plan.summary.delete).toBe(2);
  });

  it('with destroyData, the volume is deleted last, as a destructive action', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        s.containers.push(observedFrom(appContainer('old', 0)));
        s.networks.push({ name: 'aletheia-qual', labels: { [LABELS.project]: PROJECT } });
        s.volumes.push({ name: 'aletheia-qual-aletheia-media', labels: { [LABELS.project]: PROJECT } });
      }),
      { destroyData: true },
    );
    expect(brief(plan)).toEqual(['delete container aletheia/prod/old/0', 'delete network aletheia-qual', 'delete volume aletheia-qual-aletheia-media']);
    expect(plan.actions[2]).toMatchObject({ destructive: true, reason: VOLUME_DELETE_REASON });
    expect(plan.kept).toEqual([]);
  });

  it('a removed environment: every container of its keys goes, stopped releases and leftover release tasks included', () => {
    const staging = (proc: string) => {
      const c = appContainer(proc, 0);
      return { ...c, key: `aletheia/staging/${proc}/0`, labels: { ...c.labels, [LABELS.env]: 'staging' } };
    };
    const web = staging('web');
    const task = (env: string) =>
      observedFrom(appContainer('release', 0), {
        name: `aletheia-aletheia-${env}-release-r1-0`,
        key: `aletheia/${env}/release/0`,
        role: 'release-task',
        state: 'exited',
        labels: { [LABELS.project]: PROJECT, [LABELS.app]: 'aletheia', [LABELS.env]: env, [LABELS.role]: 'release-task' },
      });
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        s.containers.push(
          observedFrom(web, { name: 'web-staging-r2' }),
          observedFrom(web, { name: 'web-staging-r1', state: 'exited', createdAt: '2024-01-01T00:00:00Z' }),
          task('staging'),
          task('prod'),
        );
      }),
    );
    expect(plan.actions.map((a) => `${a.kind} ${a.id} ${a.target}`)).toEqual([
      'delete aletheia/staging/release/0 aletheia-aletheia-staging-release-r1-0',
      'delete aletheia/staging/web/0 web-staging-r1',
      'delete aletheia/staging/web/0 web-staging-r2',
    ]);
    expect(plan.deploy).toEqual([]);
  });

  it("never touches other projects' or unlabelled objects", () => {
    const foreign = { ...observedFrom(appContainer('web', 0)), name: 'other-web', key: 'other/prod/web/0' };
    foreign.labels = { ...foreign.labels, [LABELS.project]: 'other' };
    const unlabelled = { ...observedFrom(appContainer('api', 0)), name: 'hand-made', labels: {} };
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        s.containers.push(foreign, unlabelled);
        s.networks.push({ name: 'other-prod', labels: { [LABELS.project]: 'other' } }, { name: 'bridge2', labels: {} });
        s.volumes.push({ name: 'other-pg-data', labels: { [LABELS.project]: 'other' } }, { name: 'pgdata', labels: {} });
      }),
    );
    expect(plan.actions).toEqual([]);
  });

  it('adopts an existing unlabelled object that has a desired name', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => (s.volumes[0]!.labels = {})),
    );
    expect(plan.actions).toEqual([]);
  });

  it('duplicates of an app key: a second running copy is left to deploy; stopped earlier releases are kept for rollback', () => {
    const web = appContainer('web', 0, { port: 3000 });
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        s.containers.push(
          observedFrom(web, { name: 'web-r0', createdAt: '2024-04-01T00:00:00Z' }),
          observedFrom(web, { name: 'web-r2', state: 'exited', createdAt: '2024-06-01T00:00:00Z' }),
        );
      }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.deploy.map((a) => [a.kind, a.id, a.target])).toEqual([['delete', 'aletheia/prod/web/0', 'web-r0']]);
    expect(plan.deploy[0]!.reason).toBe('duplicate: aletheia-aletheia-prod-web-0-r1 already runs aletheia/prod/web/0');
  });

  it('duplicates of a service: up deletes every copy but the running newest', () => {
    const pg = serviceContainer();
    const plan = diff(
      desiredState(),
      observedWith((s) => s.containers.push(observedFrom(pg, { name: 'pg-old', state: 'exited', createdAt: '2024-01-01T00:00:00Z' }))),
    );
    expect(plan.actions.map((a) => [a.kind, a.id, a.target])).toEqual([['delete', 'service/postgres', 'pg-old']]);
  });

  it('ignores one-off release-task containers', () => {
    const task = observedFrom(appContainer('migrate', 0), { role: 'release-task', state: 'exited' });
    const plan = diff(
      desiredState(),
      observedWith((s) => s.containers.push(task)),
    );
    expect(plan.actions).toEqual([]);
  });

  it('routes: create, update with changed fields, delete, then one proxy-config reload', () => {
    const plan = diff(
      desiredState({
        routes: [
          route('aletheia.example.com', { upstream: 'aletheia-prod-web:8080', rateLimit: { rps: 10, burst: 20 } }),
          route('api.aletheia.example.com', { basicAuth: [{ user: 'ops', secret: 'auth/ops' }] }),
        ],
      }),
      observedWith(() => undefined),
    );
    expect(brief(plan)).toEqual([
      'update route aletheia.example.com',
      'create route api.aletheia.example.com',
      'delete route www.aletheia.example.com',
      'update proxy-config caddy',
    ]);
    expect(plan.actions[0]!.reason).toBe('route changed: upstream, rateLimit');
    expect(plan.actions[0]!.changes).toEqual({
      upstream: ['aletheia-prod-web:3000', 'aletheia-prod-web:8080'],
      rateLimit: [null, { rps: 10, burst: 20 }],
    });
    expect(plan.actions[3]!.reason).toBe('reload: 3 route changes');
  });

  it('route auth and tls changes are detected', () => {
    const plan = diff(
      desiredState({
        routes: [route('aletheia.example.com', { tls: defaultTls('internal'), basicAuth: [{ user: 'a', secret: 's' }] }), route('www.aletheia.example.com')],
      }),
      observedWith(() => undefined),
    );
    expect(find(plan, 'route', 'aletheia.example.com')[0]!.reason).toBe('route changed: auth, tls');
  });

  it('routes come after the proxy container, container deletes after routes; the app replace is left to deploy', () => {
    const plan = diff(
      desiredState({ routes: [route('aletheia.example.com'), route('new.aletheia.example.com')] }),
      observedWith((s) => {
        s.containers.find((c) => c.key === 'proxy')!.specHash = 'h-old';
        s.containers.find((c) => c.key === 'aletheia/prod/web/0')!.specHash = 'h-old';
        s.containers.push(observedFrom(appContainer('old', 0)));
        s.routes = [route('aletheia.example.com')];
      }),
    );
    expect(brief(plan)).toEqual([
      'replace container proxy',
      'create route new.aletheia.example.com',
      'update proxy-config caddy',
      'delete container aletheia/prod/old/0',
    ]);
    expect(briefDeploy(plan)).toEqual(['replace container aletheia/prod/web/0']);
  });

  it('databases and Redis DBs: created when missing; those no longer in the fleet are kept', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => {
        s.databases = [{ service: 'postgres', instance: 'service/postgres', database: 'legacy', user: 'legacy' }];
        s.redisDbs = [{ service: 'redis', instance: 'service/redis', env: 'staging', app: 'old', db: 5 }];
      }),
    );
    expect(brief(plan)).toEqual(['create database service/postgres/aletheia_prod', 'create redis-db service/redis/db0']);
    expect(plan.actions[0]!.reason).toBe('database aletheia_prod (owner aletheia_prod, for aletheia/prod) does not exist');
    expect(plan.kept.map((k) => `${k.type} ${k.id}: ${k.reason}`)).toEqual([
      'database service/postgres/legacy: no longer in the fleet; database legacy and its user legacy are kept, removed only with --destroy-data',
      'redis-db service/redis/db5: no longer in the fleet; db 5 (old/staging) keeps its keys and its number stays reserved, removed only with --destroy-data',
    ]);
  });

  it('with destroyData, data deletes run after app and proxy deletes, before service, network and volume deletes', () => {
    const d = desiredState({ containers: [serviceContainer()], routes: [], networks: [], redisDbs: [] });
    d.servers[0]!.volumes = [{ name: 'aletheia-postgres-data', labels: { [LABELS.project]: PROJECT } }];
    const o = observedMatching(desiredState());
    const s = o.servers[0]!;
    s.containers.push(
      observedFrom({
        ...serviceContainer(),
        key: 'service/redis',
        name: 'aletheia-redis',
        labels: { [LABELS.project]: PROJECT, [LABELS.role]: 'service', [LABELS.service]: 'redis' },
      }),
    );
    s.databases!.push({ service: 'postgres', instance: 'service/postgres', database: 'legacy', user: 'legacy' });
    const plan = diff(d, o, { destroyData: true });
    expect(brief(plan)).toEqual([
      'delete route aletheia.example.com',
      'delete route www.aletheia.example.com',
      'update proxy-config caddy',
      'delete container aletheia/prod/scheduler/0',
      'delete container aletheia/prod/web/0',
      'delete container aletheia/prod/web/1',
      'delete container aletheia/prod/worker/0',
      'delete container proxy',
      'delete database service/postgres/legacy',
      'delete redis-db service/redis/db0',
      'delete container service/redis',
      'delete network aletheia-prod',
      'delete network aletheia-prod-edge',
      'delete volume aletheia-prod-aletheia-media',
    ]);
    expect(plan.actions.filter((a) => a.destructive).map((a) => a.id)).toEqual([
      'service/postgres/legacy',
      'service/redis/db0',
      'aletheia-prod-aletheia-media',
    ]);
    expect(plan.kept).toEqual([]);
  });

  it('a service or the proxy missing one of its networks joins it; a stopped one also starts', () => {
    const d = desiredState();
    const o = observedMatching(d);
    const s = o.servers[0]!;
    s.containers.find((c) => c.key === 'proxy')!.networks = [];
    const pg = s.containers.find((c) => c.key === 'service/postgres')!;
    pg.networks = ['bridge'];
    pg.state = 'exited';
    // An app container's networks change with each switch: never compared.
    s.containers.find((c) => c.key === 'aletheia/prod/web/0')!.networks = [];
    const plan = diff(d, o);
    expect(plan.actions).toEqual([
      {
        kind: 'update',
        type: 'container',
        server: SERVER,
        id: 'service/postgres',
        target: 'aletheia-postgres-r1',
        reason: 'start: container is exited; join network aletheia-prod',
        changes: { state: ['exited', 'running'], networks: [['bridge'], ['aletheia-prod', 'bridge']] },
      },
      {
        kind: 'update',
        type: 'container',
        server: SERVER,
        id: 'proxy',
        target: 'aletheia-proxy-r1',
        reason: 'join network aletheia-prod-edge',
        changes: { networks: [[], ['aletheia-prod-edge']] },
      },
    ]);
    expect(plan.deploy).toEqual([]);
  });

  it('a Redis DB recorded for another env is a destructive reassignment', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => (s.redisDbs = [{ service: 'redis', instance: 'service/redis', env: 'staging', app: 'aletheia', db: 0 }])),
    );
    expect(plan.actions).toMatchObject([{ kind: 'update', type: 'redis-db', id: 'service/redis/db0', destructive: true }]);
    expect(plan.actions[0]!.reason).toContain('data loss');
  });

  it('a database whose owner changed is an update', () => {
    const plan = diff(
      desiredState(),
      observedWith((s) => (s.databases![0]!.user = 'aletheia')),
    );
    expect(plan.actions).toMatchObject([{ kind: 'update', type: 'database', changes: { user: ['aletheia', 'aletheia_prod'] } }]);
  });

  it('app containers follow slipway.depends-on, otherwise key order', () => {
    const withDeps = (proc: string, deps: string) => {
      const c = appContainer(proc, 0);
      c.labels[LABELS.dependsOn] = deps;
      return c;
    };
    const d = desiredState({
      containers: [appContainer('web', 0), withDeps('api', 'worker'), withDeps('worker', 'cache'), appContainer('cache', 0), withDeps('zeta', 'other/db')],
      routes: [],
      databases: [],
      redisDbs: [],
      networks: [],
      volumes: [],
    });
    const plan = diff(d, emptyObserved(PROJECT));
    expect(briefDeploy(plan)).toEqual([
      'create container aletheia/prod/cache/0',
      'create container aletheia/prod/web/0',
      'create container aletheia/prod/worker/0',
      'create container aletheia/prod/api/0',
      'create container aletheia/prod/zeta/0',
    ]);
  });

  it('a dependency cycle still yields every action once, in key order', () => {
    const a = appContainer('a', 0);
    a.labels[LABELS.dependsOn] = 'b';
    const b = appContainer('b', 0);
    b.labels[LABELS.dependsOn] = 'a';
    const plan = diff(desiredState({ containers: [b, a], routes: [], databases: [], redisDbs: [], networks: [], volumes: [] }), emptyObserved(PROJECT));
    expect(briefDeploy(plan)).toEqual(['create container aletheia/prod/a/0', 'create container aletheia/prod/b/0']);
  });

  it('a server no longer in the fleet: our objects there are deleted, after the desired servers', () => {
    const d = desiredState();
    const o = observedMatching(d);
    o.servers.unshift({
      server: 'old-1',
      networks: [{ name: 'aletheia-prod', labels: { [LABELS.project]: PROJECT } }],
      volumes: [{ name: 'keep-me', labels: {} }],
      containers: [observedFrom(appContainer('web', 0))],
      routes: [route('aletheia.example.com')],
    });
    const plan = diff(d, o);
    expect(plan.actions.map((a) => `${a.server} ${a.kind} ${a.type} ${a.id}`)).toEqual([
      'old-1 delete route aletheia.example.com',
      'old-1 update proxy-config proxy',
      'old-1 delete container aletheia/prod/web/0',
      'old-1 delete network aletheia-prod',
    ]);
  });

  it('servers keep the desired order', () => {
    const d = desiredState();
    d.servers.push({ ...desiredServer({ server: 'prod-0' }) });
    const plan = diff(d, emptyObserved(PROJECT));
    const servers = [...new Set(plan.actions.map((a) => a.server))];
    expect(servers).toEqual([SERVER, 'prod-0']);
  });
});
