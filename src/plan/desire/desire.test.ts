// desire: exact names, aliases, networks, images, env, services, databases, Redis DBs, routes,
// proxy and budget for fleets built with testFleet.
import { defaultTls } from '../../config/fleet.ts';
import { describe, expect, it } from 'vitest';
import { desire } from './desire.ts';
import { DesireError } from './error.ts';
import type { ContainerSpec, DesiredState, ServerState } from './desired.ts';
import { testFleet, type TFleet, type TProcess } from '../../../test/fixtures/test-fleet.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function server(d: DesiredState, name: string): ServerState {
  const s = d.servers.find((x) => x.server === name);
  if (!s) throw new Error(`no server ${name}`);
  return s;
}
function container(s: ServerState, key: string): ContainerSpec {
  const c = s.containers.find((x) => x.key === key);
  if (!c) throw new Error(`no container ${key} on ${s.server}: ${s.containers.map((x) => x.key).join(', ')}`);
  return c;
}
const plain = (value: string) => ({ kind: 'plain', value });

// The seed 000/001 shape: aletheia (web + celery + beat) and helios (web) in prod and staging.
const seedLike: TFleet = {
  project: 'gs',
  servers: [{ name: 'vps1', memory: '12GiB', httpsPort: 443 }],
  envs: [
    { name: 'prod', protected: true, domain: '{app}.example.com', rateLimit: { rps: 10, burst: 20 } },
    { name: 'staging', auth: ['team'], domain: '{app}-{env}.example.com', memory: '512MiB' },
  ],
  services: [{ name: 'postgres' }, { name: 'redis' }],
  apps: [
    {
      name: 'aletheia',
      uses: ['postgres', 'redis'],
      volumes: ['media'],
      processes: {
        web: { port: 8000, memory: '768MiB', volumes: { media: '/app/media' }, health: true },
        celery: { memory: '2GiB', command: ['celery', 'worker'] },
        beat: { singleton: true, command: ['celery', 'beat'] },
      },
      env: { HELIOS_URL: 'http://${helios.web}:3000/api/revalidate', SECRET_KEY: { secret: 'aletheia/secret-key' } },
    },
    { name: 'helios', processes: { web: { port: 3000 } }, env: { API_URL: 'http://${aletheia.web}:8000' } },
  ],
};

describe('desire: one server, two envs', () => {
  const d = desire(testFleet(seedLike));
  const s = server(d, 'vps1');

  it('creates a private and an edge network per env, sorted, labelled', () => {
    expect(s.networks).toEqual([
      { name: 'gs-prod', purpose: 'private', env: 'prod', labels: { 'slipway.project': 'gs', 'slipway.env': 'prod', 'slipway.network': 'private' } },
      { name: 'gs-prod-edge', purpose: 'edge', env: 'prod', labels: { 'slipway.project': 'gs', 'slipway.env': 'prod', 'slipway.network': 'edge' } },
      { name: 'gs-staging', purpose: 'private', env: 'staging', labels: { 'slipway.project': 'gs', 'slipway.env': 'staging', 'slipway.network': 'private' } },
      { name: 'gs-staging-edge', purpose: 'edge', env: 'staging', labels: { 'slipway.project': 'gs', 'slipway.env': 'staging', 'slipway.network': 'edge' } },
    ]);
  });

  it('names every container, sorted by name', () => {
    expect(s.containers.map((c) => [c.key, c.name])).toEqual([
      ['aletheia/prod/beat/0', 'gs-aletheia-prod-beat-0'],
      ['aletheia/prod/celery/0', 'gs-aletheia-prod-celery-0'],
      ['aletheia/prod/web/0', 'gs-aletheia-prod-web-0'],
      ['aletheia/staging/beat/0', 'gs-aletheia-staging-beat-0'],
      ['aletheia/staging/celery/0', 'gs-aletheia-staging-celery-0'],
      ['aletheia/staging/web/0', 'gs-aletheia-staging-web-0'],
      ['helios/prod/web/0', 'gs-helios-prod-web-0'],
      ['helios/staging/web/0', 'gs-helios-staging-web-0'],
      ['service/postgres', 'gs-postgres'],
      ['proxy', 'gs-proxy'],
      ['service/redis', 'gs-redis'],
    ]);
  });

  it('puts web processes on private + edge with one alias; others on private only', () => {
    expect(container(s, 'aletheia/prod/web/0').networks).toEqual([
      { network: 'gs-prod', aliases: ['aletheia-prod-web'] },
      { network: 'gs-prod-edge', aliases: ['aletheia-prod-web'] },
    ]);
    expect(container(s, 'aletheia/staging/celery/0').networks).toEqual([{ network: 'gs-staging', aliases: ['aletheia-staging-celery'] }]);
  });

  it('merges, interpolates and injects env vars (secrets stay references)', () => {
    const web = container(s, 'aletheia/staging/web/0');
    expect(web.env_vars).toEqual({
      DATABASE_URL: { kind: 'secret', name: 'pg/gs-postgres/aletheia_staging/url' },
      HELIOS_URL: plain('http://helios-staging-web:3000/api/revalidate'),
      PGDATABASE: plain('aletheia_staging'),
      PGHOST: plain('postgres'),
      PGPORT: plain('5432'),
      PGUSER: plain('aletheia_staging'),
      // The URL carries the ACL user and its password: a secret written by up, never a value here.
      REDIS_URL: { kind: 'secret', name: 'slipway/gs-redis/users/aletheia.staging/url' },
      SECRET_KEY: { kind: 'secret', name: 'aletheia/secret-key' },
    });
    expect(Object.keys(web.env_vars)).toEqual(Object.keys(web.env_vars).sort());
    expect(container(s, 'helios/prod/web/0').env_vars).toEqual({ API_URL: plain('http://aletheia-prod-web:8000') });
  });

  it('sets labels, restart, limits (process, then env default), mounts, health, command', () => {
    const web = container(s, 'aletheia/prod/web/0');
    expect(web.labels).toEqual({
      'slipway.project': 'gs',
      'slipway.app': 'aletheia',
      'slipway.env': 'prod',
      'slipway.process': 'web',
      'slipway.replica': '0',
      'slipway.role': 'app',
      'slipway.spec-hash': web.specHash,
    });
    expect(web.specHash).toMatch(/^[0-9a-f]{12}$/);
    expect(web.restart).toBe('unless-stopped');
    expect(web.memory).toBe(768 * MiB);
    expect(web.mounts).toEqual({ 'gs-prod-aletheia-media': '/app/media' });
    expect(web.health?.path).toBe('/health');
    expect(web.port).toBe(8000);
    expect(web.publish).toEqual([]);
    expect(container(s, 'aletheia/prod/beat/0').memory).toBeUndefined();
    expect(container(s, 'aletheia/staging/beat/0').memory).toBe(512 * MiB);
    expect(container(s, 'aletheia/staging/celery/0').memory).toBe(2 * GiB);
    expect(container(s, 'aletheia/prod/beat/0').command).toEqual(['celery', 'beat']);
    expect(container(s, 'aletheia/prod/beat/0').singleton).toBe(true);
  });

  it('runs one server-scoped postgres and redis joining both private networks, publishing nothing', () => {
    const pg = container(s, 'service/postgres');
    expect(pg).toMatchObject({
      name: 'gs-postgres',
      role: 'service',
      service: 'postgres',
      image: 'postgres:17',
      networks: [
        { network: 'gs-prod', aliases: ['postgres'] },
        { network: 'gs-staging', aliases: ['postgres'] },
      ],
      mounts: { 'gs-postgres-data': '/var/lib/postgresql/data' },
      env_vars: { POSTGRES_PASSWORD: { kind: 'secret', name: 'slipway/postgres/superuser' } },
      publish: [],
      port: 5432,
    });
    expect(pg.env).toBeUndefined();
    expect(container(s, 'service/redis').mounts).toEqual({ 'gs-redis-data': '/data' });
  });

  it('creates app, service and proxy volumes', () => {
    expect(s.volumes.map((v) => v.name)).toEqual(['gs-postgres-data', 'gs-prod-aletheia-media', 'gs-proxy-data', 'gs-redis-data', 'gs-staging-aletheia-media']);
    expect(s.volumes.find((v) => v.name === 'gs-prod-aletheia-media')?.labels).toEqual({
      'slipway.project': 'gs',
      'slipway.app': 'aletheia',
      'slipway.env': 'prod',
    });
  });

  it('creates one database and user per app and env', () => {
    expect(s.databases).toEqual([
      {
        service: 'postgres',
        instance: 'service/postgres',
        env: 'prod',
        app: 'aletheia',
        database: 'aletheia_prod',
        user: 'aletheia_prod',
        passwordSecret: 'pg/gs-postgres/aletheia_prod',
      },
      {
        service: 'postgres',
        instance: 'service/postgres',
        env: 'staging',
        app: 'aletheia',
        database: 'aletheia_staging',
        user: 'aletheia_staging',
        passwordSecret: 'pg/gs-postgres/aletheia_staging',
      },
    ]);
  });

  it('allocates Redis DBs in env order, then app order', () => {
    expect(s.redisDbs).toEqual([
      { service: 'redis', instance: 'service/redis', env: 'prod', app: 'aletheia', db: 0 },
      { service: 'redis', instance: 'service/redis', env: 'staging', app: 'aletheia', db: 1 },
    ]);
  });

  it('routes each domain to the web alias with tls, auth and rate limit from the env', () => {
    expect(s.routes).toEqual([
      {
        host: 'aletheia-staging.example.com',
        env: 'staging',
        app: 'aletheia',
        upstream: 'aletheia-staging-web:8000',
        tls: defaultTls('auto'),
        basicAuth: [{ user: 'team', secret: 'auth/staging/team' }],
        rateLimit: null,
        maintenance: false,
      },
      {
        host: 'aletheia.example.com',
        env: 'prod',
        app: 'aletheia',
        upstream: 'aletheia-prod-web:8000',
        tls: defaultTls('auto'),
        basicAuth: null,
        rateLimit: { rps: 10, burst: 20 },
        maintenance: false,
      },
      {
        host: 'helios-staging.example.com',
        env: 'staging',
        app: 'helios',
        upstream: 'helios-staging-web:3000',
        tls: defaultTls('auto'),
        basicAuth: [{ user: 'team', secret: 'auth/staging/team' }],
        rateLimit: null,
        maintenance: false,
      },
      {
        host: 'helios.example.com',
        env: 'prod',
        app: 'helios',
        upstream: 'helios-prod-web:3000',
        tls: defaultTls('auto'),
        basicAuth: null,
        rateLimit: { rps: 10, burst: 20 },
        maintenance: false,
      },
    ]);
  });

  it('runs one proxy on every edge network, created on the default bridge; the only container that publishes', () => {
    const proxy = container(s, 'proxy');
    expect(proxy).toMatchObject({
      name: 'gs-proxy',
      role: 'proxy',
      image: 'caddy:2',
      networks: [
        { network: 'bridge', aliases: [] },
        { network: 'gs-prod-edge', aliases: [] },
        { network: 'gs-staging-edge', aliases: [] },
      ],
      publish: ['80:80', '443:443'],
      labels: { 'slipway.project': 'gs', 'slipway.role': 'proxy', 'slipway.spec-hash': proxy.specHash },
    });
    expect(s.containers.filter((c) => c.publish.length > 0).map((c) => c.key)).toEqual(['proxy']);
  });

  it('accounts every container limit in the budget', () => {
    expect(s.budget.memory).toBe(12 * GiB);
    // prod: web 768MiB, celery 2GiB; staging: web 768MiB (process wins), celery 2GiB, beat and helios 512MiB (env default)
    const expected = 768 * MiB + 2 * GiB + 768 * MiB + 2 * GiB + 512 * MiB + 512 * MiB;
    expect(s.budget.reservedMemory).toBe(expected);
    expect(s.budget.lines.find((l) => l.key === 'aletheia/prod/celery/0')).toEqual({ key: 'aletheia/prod/celery/0', memory: 2 * GiB });
    expect(s.budget.lines.find((l) => l.key === 'aletheia/prod/beat/0')).toEqual({ key: 'aletheia/prod/beat/0' });
  });

  it('is deterministic', () => {
    expect(desire(testFleet(seedLike))).toEqual(d);
    expect(JSON.stringify(desire(testFleet(seedLike)))).toBe(JSON.stringify(d));
  });
});

describe('desire: images', () => {
  const cases: { name: string; source?: string; proc: TProcess; image: string }[] = [
    { name: 'git build', proc: {}, image: 'p/app:current' },
    { name: 'image source', source: 'image:ghcr.io/x/app:1.2', proc: {}, image: 'ghcr.io/x/app:1.2' },
    { name: 'process image wins', source: 'image:ghcr.io/x/app:1.2', proc: { image: 'postgres:17' }, image: 'postgres:17' },
    { name: 'process build', proc: { build: { context: 'worker', dockerfile: 'Dockerfile' } }, image: 'p/app-w:current' },
  ];
  it.each(cases)('$name -> $image', ({ source, proc, image }) => {
    const d = desire(testFleet({ project: 'p', apps: [{ name: 'app', ...(source ? { source } : {}), processes: { w: proc } }] }));
    expect(container(server(d, 'main'), 'app/prod/w/0').image).toBe(image);
  });
});

describe('desire: replicas, replicas of web processes, placement', () => {
  it('creates one container per replica with the same alias', () => {
    const d = desire(testFleet({ project: 'p', apps: [{ name: 'api', processes: { web: { port: 80, replicas: 3, memory: '1GiB' } } }] }));
    const s = server(d, 'main');
    const webs = s.containers.filter((c) => c.process === 'web');
    expect(webs.map((c) => [c.key, c.name, c.replica])).toEqual([
      ['api/prod/web/0', 'p-api-prod-web-0', 0],
      ['api/prod/web/1', 'p-api-prod-web-1', 1],
      ['api/prod/web/2', 'p-api-prod-web-2', 2],
    ]);
    expect(new Set(webs.map((c) => c.specHash)).size).toBe(1);
    expect(webs.every((c) => c.networks[0]!.aliases[0] === 'api-prod-web')).toBe(true);
    expect(s.budget.reservedMemory).toBe(3 * GiB);
  });

  it('routes to `web` over the first process with a port', () => {
    const d = desire(
      testFleet({
        project: 'p',
        apps: [{ name: 'a', processes: { admin: { port: 9000 }, web: { port: 8000 } }, perEnv: { prod: { domains: ['a.test'] } } }],
      }),
    );
    expect(server(d, 'main').routes.map((r) => r.upstream)).toEqual(['a-prod-web:8000']);
    const d2 = desire(
      testFleet({
        project: 'p',
        apps: [{ name: 'a', processes: { worker: {}, admin: { port: 9000 } }, perEnv: { prod: { domains: ['a.test'] } } }],
      }),
    );
    expect(server(d2, 'main').routes.map((r) => r.upstream)).toEqual(['a-prod-admin:9000']);
  });

  it('gives no route without a web process, and no proxy to an empty server', () => {
    const d = desire(
      testFleet({
        project: 'p',
        servers: [{ name: 's1' }, { name: 'spare' }],
        apps: [{ name: 'w', processes: { worker: {} }, perEnv: { prod: { domains: ['w.test'] } } }],
      }),
    );
    expect(server(d, 's1').routes).toEqual([]);
    expect(server(d, 'spare')).toMatchObject({ networks: [], containers: [], volumes: [] });
  });

  it("creates an env's networks on every server that runs part of it, with a service instance on each", () => {
    const d = desire(
      testFleet({
        project: 'p',
        servers: [{ name: 's1', proxy: 'nginx', httpPort: 8080 }, { name: 's2' }],
        envs: [{ name: 'prod', server: 's1' }],
        services: [{ name: 'postgres' }],
        apps: [
          { name: 'api', uses: ['postgres'] },
          { name: 'jobs', uses: ['postgres'], processes: { worker: {} }, perEnv: { prod: { server: 's2' } } },
        ],
      }),
    );
    const s1 = server(d, 's1');
    const s2 = server(d, 's2');
    expect(s1.networks.map((n) => n.name)).toEqual(['p-prod', 'p-prod-edge']);
    expect(s2.networks.map((n) => n.name)).toEqual(['p-prod', 'p-prod-edge']);
    expect(s1.containers.map((c) => c.key)).toEqual(['api/prod/web/0', 'service/postgres', 'proxy']);
    expect(s2.containers.map((c) => c.key)).toEqual(['jobs/prod/worker/0', 'service/postgres', 'proxy']);
    expect(container(s1, 'proxy')).toMatchObject({ image: 'nginx:1.27', publish: ['8080:80'], mounts: {} });
    expect(s1.databases.map((x) => x.database)).toEqual(['api_prod']);
    expect(s2.databases.map((x) => x.database)).toEqual(['jobs_prod']);
  });
});

describe('desire: environment-scoped services', () => {
  const d = desire(
    testFleet({
      project: 'p',
      envs: [{ name: 'prod' }, { name: 'staging' }],
      services: [
        { name: 'pg', kind: 'postgres', scope: 'environment', memory: '1GiB', volumes: { conf: '/etc/pg' } },
        { name: 'cache', kind: 'redis', scope: 'environment' },
      ],
      apps: [{ name: 'api', uses: ['pg', 'cache'] }],
    }),
  );
  const s = server(d, 'main');

  it("runs one instance per env on that env's private network only", () => {
    const pg = container(s, 'service/pg/staging');
    expect(pg).toMatchObject({
      name: 'p-pg-staging',
      env: 'staging',
      networks: [{ network: 'p-staging', aliases: ['pg'] }],
      mounts: { 'p-pg-staging-data': '/var/lib/postgresql/data', 'p-pg-staging-conf': '/etc/pg' },
      env_vars: { POSTGRES_PASSWORD: { kind: 'secret', name: 'slipway/pg/superuser' } },
      memory: 1 * GiB,
      labels: { 'slipway.project': 'p', 'slipway.role': 'service', 'slipway.service': 'pg', 'slipway.env': 'staging', 'slipway.spec-hash': pg.specHash },
    });
    expect(container(s, 'service/cache/prod').networks).toEqual([{ network: 'p-prod', aliases: ['cache'] }]);
    expect(s.volumes.map((v) => v.name)).toContain('p-cache-prod-data');
  });

  it('keys databases and Redis DBs by the env instance, each starting at 0', () => {
    expect(s.databases.map((x) => [x.instance, x.database, x.passwordSecret])).toEqual([
      ['service/pg/prod', 'api_prod', 'pg/p-pg-prod/api_prod'],
      ['service/pg/staging', 'api_staging', 'pg/p-pg-staging/api_staging'],
    ]);
    expect(s.redisDbs.map((r) => [r.instance, r.env, r.db])).toEqual([
      ['service/cache/prod', 'prod', 0],
      ['service/cache/staging', 'staging', 0],
    ]);
    expect(container(s, 'api/staging/web/0').env_vars.REDIS_URL).toEqual({ kind: 'secret', name: 'slipway/p-cache-staging/users/api.staging/url' });
    expect(s.redisUsers?.map((u) => [u.instance, u.user, u.db, u.soleUser])).toEqual([
      ['service/cache/prod', 'api.prod', 0, true],
      ['service/cache/staging', 'api.staging', 0, true],
    ]);
    expect(container(s, 'api/staging/web/0').env_vars.PGHOST).toEqual(plain('pg'));
  });
});

describe('desire: databases', () => {
  it.each([
    ['api', 'prod', 'api_prod'],
    ['my-app', 'qa.1', 'my_app_qa_1'],
    ['Front-End', 'staging', 'front_end_staging'],
  ])('%s in %s -> %s', (app, env, db) => {
    const d = desire(testFleet({ project: 'p', envs: [{ name: env }], services: [{ name: 'postgres' }], apps: [{ name: app, uses: ['postgres'] }] }));
    const s = server(d, 'main');
    expect(s.databases).toEqual([
      { service: 'postgres', instance: 'service/postgres', env, app, database: db, user: db, passwordSecret: `pg/p-postgres/${db}` },
    ]);
    const c = s.containers.find((x) => x.app === app)!;
    expect(c.env_vars.PGDATABASE).toEqual(plain(db));
    expect(c.env_vars.DATABASE_URL).toEqual({ kind: 'secret', name: `pg/p-postgres/${db}/url` });
  });

  it('keeps an env var the user set over the injected one, and names extra instances by service', () => {
    const d = desire(
      testFleet({
        project: 'p',
        services: [{ name: 'postgres' }, { name: 'analytics-db', kind: 'postgres' }],
        apps: [{ name: 'api', uses: ['postgres', 'analytics-db'], env: { PGHOST: 'db.internal' } }],
      }),
    );
    const env = container(server(d, 'main'), 'api/prod/web/0').env_vars;
    expect(env.PGHOST).toEqual(plain('db.internal'));
    expect(env.DATABASE_URL).toEqual({ kind: 'secret', name: 'pg/p-postgres/api_prod/url' });
    expect(env.ANALYTICS_DB_URL).toEqual({ kind: 'secret', name: 'pg/p-analytics-db/api_prod/url' });
  });
});

describe('desire: Redis allocation', () => {
  const base = (envs: string[], apps: string[]): TFleet => ({
    project: 'p',
    envs: envs.map((name) => ({ name })),
    services: [{ name: 'redis' }],
    apps: apps.map((name) => ({ name, uses: ['redis'], processes: { worker: {} } })),
  });
  const dbs = (d: DesiredState) => server(d, 'main').redisDbs.map((r) => `${r.env}/${r.app}=${r.db}`);

  it('allocates lowest free numbers in env order, then app order', () => {
    expect(dbs(desire(testFleet(base(['prod', 'staging'], ['a', 'b']))))).toEqual(['prod/a=0', 'prod/b=1', 'staging/a=2', 'staging/b=3']);
  });

  it('keeps prior allocations when an env is added before existing ones', () => {
    const before = desire(testFleet(base(['prod', 'staging'], ['a', 'b'])));
    const prior = server(before, 'main').redisDbs;
    const after = desire(testFleet(base(['dev', 'prod', 'staging'], ['a', 'b'])), { redisAllocations: prior });
    expect(dbs(after)).toEqual(['prod/a=0', 'prod/b=1', 'staging/a=2', 'staging/b=3', 'dev/a=4', 'dev/b=5']);
    // without prior allocations, dev would have taken 0 and 1
    expect(dbs(desire(testFleet(base(['dev', 'prod', 'staging'], ['a', 'b']))))).toEqual([
      'dev/a=0',
      'dev/b=1',
      'prod/a=2',
      'prod/b=3',
      'staging/a=4',
      'staging/b=5',
    ]);
  });

  it('reuses numbers freed by a removed env, ignores priors for other instances and out-of-range or colliding numbers', () => {
    const prior = [
      { service: 'redis', instance: 'service/redis', env: 'staging', app: 'a', db: 3 },
      { service: 'redis', instance: 'service/redis', env: 'staging', app: 'b', db: 3 }, // collides: b gets a new one
      { service: 'redis', instance: 'service/other', env: 'prod', app: 'a', db: 7 }, // other instance
      { service: 'redis', instance: 'service/redis', env: 'prod', app: 'b', db: 42 }, // out of range
    ];
    expect(dbs(desire(testFleet(base(['prod', 'staging'], ['a', 'b'])), { redisAllocations: prior }))).toEqual([
      'prod/a=0',
      'prod/b=1',
      'staging/b=2',
      'staging/a=3',
    ]);
  });

  it("keeps the number of a removed env reserved (it still holds that env's keys)", () => {
    const prior = server(desire(testFleet(base(['prod', 'staging'], ['a']))), 'main').redisDbs;
    expect(prior.map((r) => `${r.env}/${r.app}=${r.db}`)).toEqual(['prod/a=0', 'staging/a=1']);
    // staging is removed and qual added: qual does not get staging's db 1.
    expect(dbs(desire(testFleet(base(['prod', 'qual'], ['a'])), { redisAllocations: prior }))).toEqual(['prod/a=0', 'qual/a=2']);
  });

  it('throws a DesireError past 16 DBs on one instance', () => {
    const f = testFleet(
      base(
        ['prod'],
        Array.from({ length: 17 }, (_, i) => `app${i}`),
      ),
    );
    expect(() => desire(f)).toThrow(DesireError);
    try {
      desire(f);
    } catch (e) {
      expect(e).toMatchObject({ code: 'redis-db-exhausted', path: 'services/redis' });
      expect((e as DesireError).toDiagnostic().severity).toBe('error');
    }
    expect(() =>
      desire(
        testFleet(
          base(
            ['prod'],
            Array.from({ length: 16 }, (_, i) => `app${i}`),
          ),
        ),
      ),
    ).not.toThrow();
  });
});

describe('desire: spec hash', () => {
  const hashOf = (t: TFleet, key = 'api/prod/web/0') => container(server(desire(testFleet(t)), 'main'), key).specHash;
  const base: TFleet = { project: 'p', apps: [{ name: 'api', env: { A: '1', S: { secret: 's1' } } }] };
  const h = hashOf(base);

  it.each<[string, TFleet]>([
    ['image', { ...base, apps: [{ ...base.apps![0]!, source: 'image:x:1' }] }],
    ['plain env value', { ...base, apps: [{ ...base.apps![0]!, env: { A: '2', S: { secret: 's1' } } }] }],
    ['secret name', { ...base, apps: [{ ...base.apps![0]!, env: { A: '1', S: { secret: 's2' } } }] }],
    ['memory', { ...base, apps: [{ ...base.apps![0]!, processes: { web: { port: 8000, memory: '1GiB' } } }] }],
    ['port', { ...base, apps: [{ ...base.apps![0]!, processes: { web: { port: 8001 } } }] }],
    ['health', { ...base, apps: [{ ...base.apps![0]!, processes: { web: { port: 8000, health: true } } }] }],
    ['command', { ...base, apps: [{ ...base.apps![0]!, processes: { web: { port: 8000, command: ['x'] } } }] }],
    ['mounts', { ...base, apps: [{ ...base.apps![0]!, processes: { web: { port: 8000, volumes: { m: '/m' } } } }] }],
  ])('changes with %s', (_, t) => {
    expect(hashOf(t)).not.toBe(h);
  });

  it('does not change with env var order, another app, or a route', () => {
    expect(hashOf({ ...base, apps: [{ ...base.apps![0]!, env: { S: { secret: 's1' }, A: '1' } }] })).toBe(h);
    expect(hashOf({ ...base, apps: [...base.apps!, { name: 'other' }] })).toBe(h);
    expect(hashOf({ ...base, apps: [{ ...base.apps![0]!, perEnv: { prod: { domains: ['x.test'] } } }] })).toBe(h);
  });

  it('keeps the proxy hash when an env is added (it joins networks live)', () => {
    const one = hashOf(base, 'proxy');
    expect(hashOf({ ...base, envs: [{ name: 'prod' }, { name: 'staging' }] }, 'proxy')).toBe(one);
  });
});
