// Hand-built DesiredState fixtures for renderer tests: one server with two environments (prod,
// staging), replicas, secrets, a shared Postgres, an env-scoped Redis, and routes covering basic
// auth, rate limits, maintenance and every TLS mode. Test-only; no production code imports it.
import type { ContainerSpec, DesiredState, Route, ServerState } from '../plan/desired.ts';

/** A secret value that must never appear in any rendered output. */
export const LEAKY_SECRET_VALUE = 'hunter2-NEVER-RENDER-ME';

const P = 'acme';

function labels(role: string, extra: Record<string, string>): Record<string, string> {
  return { 'slipway.project': P, 'slipway.role': role, ...extra };
}

function app(a: string, e: string, w: string, r: number, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    key: `${a}/${e}/${w}/${r}`,
    name: `${P}-${a}-${e}-${w}-${r}`,
    role: 'app',
    app: a,
    env: e,
    process: w,
    replica: r,
    image: `${P}/${a}:{release}`,
    env_vars: {},
    labels: labels('app', { 'slipway.app': a, 'slipway.env': e, 'slipway.process': w, 'slipway.spec-hash': `h-${a}-${e}-${w}` }),
    networks: [{ network: `${P}-${e}`, aliases: [`${a}-${e}-${w}`] }],
    mounts: {},
    health: null,
    restart: 'unless-stopped',
    singleton: false,
    stopTimeoutS: 10,
    publish: [],
    specHash: `h-${a}-${e}-${w}`,
    ...over,
  };
}

const health = { path: '/health', intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 1000 };

function web(a: string, e: string, r: number, over: Partial<ContainerSpec> = {}): ContainerSpec {
  return app(a, e, 'web', r, {
    command: ['node', 'server.js', '--port', '3000'],
    port: 3000,
    health,
    networks: [
      { network: `${P}-${e}`, aliases: [`${a}-${e}-web`] },
      { network: `${P}-${e}-edge`, aliases: [`${a}-${e}-web`] },
    ],
    ...over,
  });
}

function apiEnv(e: string): ContainerSpec['env_vars'] {
  return {
    NODE_ENV: { kind: 'plain', value: e === 'prod' ? 'production' : 'staging' },
    GREETING: { kind: 'plain', value: 'costs $5' },
    DATABASE_URL: { kind: 'secret', name: `pg/pg/api_${e}/url` },
    SESSION_KEY: { kind: 'secret', name: 'api-session-key' },
  };
}

function route(host: string, e: string, a: string, over: Partial<Route> = {}): Route {
  return {
    host,
    env: e,
    app: a,
    upstream: `${a}-${e}-web:3000`,
    tls: 'auto',
    basicAuth: null,
    rateLimit: null,
    maintenance: false,
    ...over,
  };
}

export function fixtureServer(): ServerState {
  const containers: ContainerSpec[] = [
    web('api', 'prod', 0, { env_vars: apiEnv('prod'), memory: 512 * 1024 ** 2, cpus: 0.5 }),
    web('api', 'prod', 1, { env_vars: apiEnv('prod'), memory: 512 * 1024 ** 2, cpus: 0.5 }),
    app('api', 'prod', 'worker', 0, {
      command: ['node', 'worker.js'],
      env_vars: apiEnv('prod'),
      mounts: { 'acme-prod-api-media': '/app/media' },
      ...({ dependsOn: ['web'] } as object),
    }),
    web('api', 'staging', 0, { env_vars: apiEnv('staging'), memory: 256 * 1024 ** 2 }),
    web('site', 'prod', 0, { image: 'nginx:1.27', command: undefined, port: 80, health: null }),
    web('site', 'staging', 0, { image: 'nginx:1.27', command: undefined, port: 80, health: null }),
    {
      key: 'service/pg',
      name: `${P}-pg`,
      role: 'service',
      service: 'pg',
      replica: 0,
      image: 'postgres:17',
      env_vars: { POSTGRES_PASSWORD: { kind: 'secret', name: 'slipway/pg/superuser' } },
      labels: labels('service', { 'slipway.service': 'pg' }),
      networks: [
        { network: `${P}-prod`, aliases: ['pg'] },
        { network: `${P}-staging`, aliases: ['pg'] },
      ],
      mounts: { 'acme-pg-data': '/var/lib/postgresql/data' },
      memory: 1024 ** 3,
      health: null,
      port: 5432,
      restart: 'unless-stopped',
      singleton: true,
      stopTimeoutS: 30,
      publish: [],
      specHash: 'h-pg',
    },
    ...['prod', 'staging'].map(
      (e): ContainerSpec => ({
        key: `service/redis/${e}`,
        name: `${P}-redis-${e}`,
        role: 'service',
        service: 'redis',
        env: e,
        replica: 0,
        image: 'redis:7',
        command: ['redis-server', '--appendonly', 'yes'],
        env_vars: {},
        labels: labels('service', { 'slipway.service': 'redis', 'slipway.env': e }),
        networks: [{ network: `${P}-${e}`, aliases: ['redis'] }],
        mounts: { [`acme-redis-${e}-data`]: '/data' },
        health: null,
        port: 6379,
        restart: 'unless-stopped',
        singleton: true,
        stopTimeoutS: 10,
        publish: [],
        specHash: `h-redis-${e}`,
      }),
    ),
    {
      key: 'proxy',
      name: `${P}-proxy`,
      role: 'proxy',
      replica: 0,
      image: 'caddy:2',
      env_vars: {},
      labels: labels('proxy', {}),
      networks: [
        { network: `${P}-prod-edge`, aliases: [] },
        { network: `${P}-staging-edge`, aliases: [] },
      ],
      mounts: { 'acme-proxy-data': '/data' },
      health: null,
      restart: 'unless-stopped',
      singleton: true,
      stopTimeoutS: 10,
      publish: ['80:80', '443:443'],
      specHash: 'h-proxy',
    },
  ];
  const nets = (e: string) =>
    (['private', 'edge'] as const).map((purpose) => ({
      name: purpose === 'private' ? `${P}-${e}` : `${P}-${e}-edge`,
      purpose,
      env: e,
      labels: { 'slipway.project': P, 'slipway.env': e, 'slipway.network': purpose },
    }));
  const vol = (name: string) => ({ name, labels: { 'slipway.project': P } });
  return {
    server: 'main',
    proxy: 'caddy',
    networks: [...nets('prod'), ...nets('staging')],
    volumes: ['acme-prod-api-media', 'acme-pg-data', 'acme-redis-prod-data', 'acme-redis-staging-data', 'acme-proxy-data'].map(vol),
    containers,
    routes: [
      route('api.example.com', 'prod', 'api', { rateLimit: { rps: 20, burst: 40 } }),
      route('api-staging.example.com', 'staging', 'api', {
        tls: 'internal',
        basicAuth: [
          { user: 'qa', secret: 'staging-auth-qa' },
          { user: 'alice', secret: 'staging-auth-alice' },
        ],
        rateLimit: { rps: 5, burst: 10 },
      }),
      route('site.test', 'prod', 'site', { upstream: 'site-prod-web:80', maintenance: true }),
      route('site-staging.localhost', 'staging', 'site', { upstream: 'site-staging-web:80', tls: 'off' }),
    ],
    databases: ['prod', 'staging'].map((e) => ({
      service: 'pg',
      instance: 'service/pg',
      env: e,
      app: 'api',
      database: `api_${e}`,
      user: `api_${e}`,
      passwordSecret: `pg/pg/api_${e}`,
    })),
    redisDbs: ['prod', 'staging'].map((e) => ({ service: 'redis', instance: `service/redis/${e}`, env: e, app: 'api', db: 0 })),
    budget: { reservedMemory: 0, lines: [] },
  };
}

export function fixtureDesired(): DesiredState {
  return { project: P, servers: [fixtureServer()] };
}
