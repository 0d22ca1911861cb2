// DesiredState: every resource each server should have, derived purely from a Fleet.
// Observed state (read from engines) uses the same shapes so `diff` can compare them.
import type { ContainerOptions, DependsCondition, EnvValue, HealthCheck, ProxyKind, RepoContent, RestartName, TlsSettings } from '../../config/fleet.ts';

export type Role = 'app' | 'proxy' | 'service' | 'release-task';

export interface NetworkSpec {
  name: string;
  /**
   * `private` carries an environment's traffic (shared services, calls between apps); `edge` is
   * shared only with the proxy; `app` is one compose network of one app in one environment.
   */
  purpose: 'private' | 'edge' | 'app';
  env: string;
  /** The app an `app` network belongs to. */
  app?: string;
  /** No route out (compose `internal: true`): only what is on the network is reachable. */
  internal?: boolean;
  labels: Record<string, string>;
}

/** A network or volume that exists outside Slipway (compose `external: true`), used by one app in one environment. */
export interface ExternalSpec {
  type: 'network' | 'volume';
  /** Its own name: never prefixed, created or deleted. */
  name: string;
  env: string;
  app: string;
}

export interface VolumeSpec {
  name: string;
  labels: Record<string, string>;
}

/** A bind mount: a host path as it is, or repository content shipped to the server (`repo`). */
export interface ContainerBind {
  /** Host path, or repository path relative to the fleet file. */
  source: string;
  target: string;
  readOnly: boolean;
  /** Shipped content; `hostPath` is where a deploy put it on the server (never hashed). */
  repo?: RepoContent & { hostPath?: string };
}

export interface ContainerNet {
  network: string;
  aliases: string[];
}

/**
 * One container to run. Its ContainerOptions fields (user, tmpfs, ulimits, logging, pidsLimit,
 * oomScoreAdj…) are the effective ones: Slipway's defaults, then the environment's, then the
 * process's or service's own. `labels` holds Slipway's labels and the user's.
 */
export interface ContainerSpec extends ContainerOptions {
  /** Stable identity across releases: `{app}/{env}/{process}/{replica}` or `service/{name}`. */
  key: string;
  /** Physical name prefix; the release id is appended at deploy time. */
  name: string;
  role: Role;
  app?: string;
  env?: string;
  process?: string;
  service?: string;
  replica: number;
  /** Image reference; for git apps, `{project}/{app}:{release}` is resolved at deploy time. */
  image: string;
  command?: string[];
  env_vars: Record<string, EnvValue>;
  labels: Record<string, string>;
  networks: ContainerNet[];
  /** volume name -> mount path */
  mounts: Record<string, string>;
  /** Bind mounts (absent when none): host paths, and repository content shipped per environment (mounts.ts). */
  binds?: ContainerBind[];
  memory?: number;
  cpus?: number;
  health: HealthCheck | null;
  port?: number;
  restart: RestartName;
  singleton: boolean;
  /**
   * Why two copies must never run at once (`postgres image`, `owns data volume pgdata`): a deploy
   * replaces it stop-first, and only when its spec changed (plan/desire/process-kind.ts).
   */
  stateful?: string;
  /** A one-off task (another process waits for it with `service_completed_successfully`): run to completion once per deploy. */
  task?: true;
  /** Processes of the same app and environment this one starts after, with the condition it waits for. */
  waitsFor?: { process: string; condition: DependsCondition }[];
  stopTimeoutS: number;
  /** Host ports published ("hostPort:containerPort"); only the proxy publishes any. */
  publish: string[];
  /** Namespaced kernel settings (the proxy's TCP tuning). */
  sysctls?: Record<string, string>;
  /** Hash of every field above that, when changed, needs a new container. */
  specHash: string;
}

export interface Route {
  host: string;
  env: string;
  app: string;
  /** alias:port on the env's edge network */
  upstream: string;
  tls: TlsSettings;
  basicAuth: { user: string; secret: string }[] | null;
  rateLimit: { rps: number; burst: number } | null;
  maintenance: boolean;
}

export interface DatabaseSpec {
  service: string;
  /** Container key of the instance that hosts it. */
  instance: string;
  env: string;
  app: string;
  database: string;
  user: string;
  /** Name of the generated secret holding the password (never the value). */
  passwordSecret: string;
}

export interface RedisDbSpec {
  service: string;
  instance: string;
  env: string;
  app: string;
  db: number;
}

/** The ACL user of one app in one environment on a Redis instance (workflows/redis-acl.ts applies it). */
export interface RedisUserSpec {
  service: string;
  instance: string;
  env: string;
  app: string;
  /** ACL user name, `{app}.{env}`. */
  user: string;
  /** The DB its REDIS_URL selects. */
  db: number;
  /** Its keys and channels are `prefix*` for these; none: every key of the instance. */
  keyPrefixes: string[];
  /** The only user of its instance (it owns every key there). */
  soleUser: boolean;
  /** Users of other environments share its instance (a server-scoped Redis with several environments). */
  sharedAcrossEnvs: boolean;
  /** Host (the service's alias) and port in its REDIS_URL. */
  host: string;
  port: number;
  /** Names of the generated secrets holding its password and its REDIS_URL (never the values). */
  passwordSecret: string;
  urlSecret: string;
}

export interface BudgetLine {
  key: string;
  memory?: number;
}

export interface ServerState {
  server: string;
  proxy: ProxyKind;
  networks: NetworkSpec[];
  volumes: VolumeSpec[];
  /** External networks and volumes the containers use (absent when none): not created, deleted or diffed. */
  externals?: ExternalSpec[];
  containers: ContainerSpec[];
  routes: Route[];
  databases: DatabaseSpec[];
  redisDbs: RedisDbSpec[];
  /** Redis ACL users, one per app and environment on each instance (absent: none). */
  redisUsers?: RedisUserSpec[];
  budget: { memory?: number; cpus?: number; reservedMemory: number; lines: BudgetLine[] };
}

export interface DesiredState {
  project: string;
  servers: ServerState[];
}
