// Hand-built DesiredState/ObservedState fixtures for diff and plan-view tests (no `desire`
// needed): one server running the aletheia project's prod env (web ×2, worker, a singleton
// scheduler), a postgres service, a proxy, two routes, a database and a Redis DB.
import type { ContainerSpec, DesiredState, Route, ServerState } from './desired.ts';
import { LABELS, type ObservedContainer, type ObservedServer, type ObservedState } from './observed.ts';

export const PROJECT = 'aletheia';
export const SERVER = 'prod-1';

export function appContainer(process: string, replica: number, over: Partial<ContainerSpec> = {}): ContainerSpec {
  const hash = over.specHash ?? `h-${process}-${replica}`;
  const labels: Record<string, string> = {
    [LABELS.project]: PROJECT,
    [LABELS.app]: 'aletheia',
    [LABELS.env]: 'prod',
    [LABELS.process]: process,
    [LABELS.replica]: String(replica),
    [LABELS.role]: 'app',
    [LABELS.specHash]: hash,
  };
  return {
    key: `aletheia/prod/${process}/${replica}`,
    name: `aletheia-aletheia-prod-${process}-${replica}`,
    role: 'app',
    app: 'aletheia',
    env: 'prod',
    process,
    replica,
    image: 'aletheia/aletheia:current',
    env_vars: { DATABASE_URL: { kind: 'secret', name: 'pg/postgres/aletheia_prod/url' } },
    labels,
    networks: [{ network: 'aletheia-prod', aliases: [`aletheia-prod-${process}`] }],
    mounts: {},
    health: null,
    restart: 'unless-stopped',
    singleton: false,
    stopTimeoutS: 10,
    publish: [],
    ...over,
    specHash: hash,
  };
}

export function serviceContainer(): ContainerSpec {
  return {
    key: 'service/postgres',
    name: 'aletheia-postgres',
    role: 'service',
    service: 'postgres',
    replica: 0,
    image: 'postgres:17',
    env_vars: {},
    labels: { [LABELS.project]: PROJECT, [LABELS.role]: 'service', [LABELS.service]: 'postgres', [LABELS.specHash]: 'h-pg' },
    networks: [{ network: 'aletheia-prod', aliases: ['postgres'] }],
    mounts: { 'aletheia-postgres-data': '/var/lib/postgresql/data' },
    health: null,
    restart: 'unless-stopped',
    singleton: true,
    stopTimeoutS: 30,
    publish: [],
    specHash: 'h-pg',
  };
}

export function proxyContainer(): ContainerSpec {
  return {
    key: 'proxy',
    name: 'aletheia-proxy',
    role: 'proxy',
    replica: 0,
    image: 'caddy:2',
    env_vars: {},
    labels: { [LABELS.project]: PROJECT, [LABELS.role]: 'proxy', [LABELS.specHash]: 'h-proxy' },
    networks: [{ network: 'aletheia-prod-edge', aliases: [] }],
    mounts: {},
    health: null,
    restart: 'unless-stopped',
    singleton: true,
    stopTimeoutS: 10,
    publish: ['80:80', '443:443'],
    specHash: 'h-proxy',
  };
}

export function route(host: string, over: Partial<Route> = {}): Route {
  return {
    host,
    env: 'prod',
    app: 'aletheia',
    upstream: 'aletheia-prod-web:3000',
    tls: 'auto',
    basicAuth: null,
    rateLimit: null,
    maintenance: false,
    ...over,
  };
}

export function desiredServer(over: Partial<ServerState> = {}): ServerState {
  return {
    server: SERVER,
    proxy: 'caddy',
    networks: [
      { name: 'aletheia-prod', purpose: 'private', env: 'prod', labels: { [LABELS.project]: PROJECT } },
      { name: 'aletheia-prod-edge', purpose: 'edge', env: 'prod', labels: { [LABELS.project]: PROJECT } },
    ],
    volumes: [
      { name: 'aletheia-postgres-data', labels: { [LABELS.project]: PROJECT } },
      { name: 'aletheia-prod-aletheia-media', labels: { [LABELS.project]: PROJECT } },
    ],
    containers: [
      appContainer('web', 0, { port: 3000 }),
      appContainer('web', 1, { port: 3000 }),
      appContainer('worker', 0),
      appContainer('scheduler', 0, { singleton: true }),
      serviceContainer(),
      proxyContainer(),
    ],
    routes: [route('aletheia.example.com'), route('www.aletheia.example.com')],
    databases: [
      {
        service: 'postgres',
        instance: 'service/postgres',
        env: 'prod',
        app: 'aletheia',
        database: 'aletheia_prod',
        user: 'aletheia_prod',
        passwordSecret: 'pg/postgres/aletheia_prod',
      },
    ],
    redisDbs: [{ service: 'redis', instance: 'service/redis', env: 'prod', app: 'aletheia', db: 0 }],
    budget: { reservedMemory: 0, lines: [] },
    ...over,
  };
}

export function desiredState(over: Partial<ServerState> = {}): DesiredState {
  return { project: PROJECT, servers: [desiredServer(over)] };
}

/** The observed twin of a desired container, as `observe` would report it once deployed. */
export function observedFrom(c: ContainerSpec, over: Partial<ObservedContainer> = {}): ObservedContainer {
  const labels = { ...c.labels, [LABELS.release]: 'r1' };
  return {
    id: `id-${c.name}`,
    name: `${c.name}-r1`,
    key: c.key,
    role: c.role,
    image: c.image.endsWith(':current') ? c.image.replace(/:current$/, ':r1') : c.image,
    labels,
    specHash: c.specHash,
    release: 'r1',
    state: 'running',
    health: 'healthy',
    createdAt: '2024-05-01T10:00:00Z',
    ...over,
  };
}

/** Observed state in which everything desired already exists and runs. */
export function observedMatching(desired: DesiredState): ObservedState {
  return {
    project: desired.project,
    servers: desired.servers.map(
      (s): ObservedServer => ({
        server: s.server,
        networks: s.networks.map((n) => ({ name: n.name, labels: { ...n.labels } })),
        volumes: s.volumes.map((v) => ({ name: v.name, labels: { ...v.labels } })),
        containers: s.containers.map((c) => observedFrom(c)),
        routes: s.routes.map((r) => ({ ...r })),
        databases: s.databases.map(({ service, instance, database, user }) => ({ service, instance, database, user })),
        redisDbs: s.redisDbs.map((r) => ({ ...r })),
      }),
    ),
  };
}
