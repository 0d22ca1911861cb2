// The normalized Fleet: what `load` returns once a slipway.yaml is parsed, validated and
// compose files are imported. Every per-environment value is already resolved here, so later
// stages (desire, check, render) never look at raw YAML.
import type { SourcePos } from '../diag/diagnostic.ts';
import type { BackupPolicy } from './backup-policy.ts';
import type { ControlPlaneConfig } from './control-plane.ts';
import type { SecretsConfig } from './secrets-config.ts';

export type ProxyKind = 'caddy' | 'nginx';

export interface Server {
  name: string;
  /** `local` means the Docker engine on this machine; otherwise an SSH target. */
  transport: { kind: 'local'; socket?: string } | { kind: 'ssh'; user: string; host: string; port: number; hostKey?: string; identity?: string };
  memory?: number; // bytes
  cpus?: number;
  disk?: number; // bytes
  proxy: ProxyKind;
  /** Host ports the proxy publishes. */
  httpPort: number;
  httpsPort?: number;
  /** Public addresses (IPv4, IPv6) from `address:`: what its environments' DNS records point at. */
  addresses?: string[];
  /** Age recipients of the secrets files of the environments on this server (`secrets.recipients`). */
  secretsRecipients?: string[];
  pos?: SourcePos;
}

export type TlsMode = 'auto' | 'off' | 'internal' | 'files';

export const LETSENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETSENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

export interface AcmeSettings {
  /** The ACME directory URL (`letsencrypt` and `letsencrypt-staging` resolved). */
  directory: string;
  email?: string;
  /** Absolute path of a PEM file trusted for the directory's HTTPS (a private CA such as pebble). */
  caRoot?: string;
}

/** An environment's TLS, fleet-wide defaults applied. Hosts under .localhost/.test are always plain HTTP. */
export interface TlsSettings {
  /** `auto`: ACME; `internal`: the proxy's local CA; `files`: certificate and key from secrets; `off`: HTTP only. */
  mode: TlsMode;
  challenge: 'http' | 'dns';
  acme: AcmeSettings;
  /** Renew when the certificate expires within this many days. */
  renewBeforeDays: number;
  /** HTTP answers with a redirect to HTTPS. */
  redirect: boolean;
  hsts: { maxAgeS: number; includeSubdomains: boolean; preload: boolean } | null;
  /** Secret names of the certificate (PEM chain) and key, with mode `files`. */
  files?: { cert: string; key: string };
}

/** TLS settings with every default (Let's Encrypt, HTTP-01, renew 30 days ahead, redirect, no HSTS). */
export function defaultTls(mode: TlsMode = 'auto'): TlsSettings {
  return { mode, challenge: 'http', acme: { directory: LETSENCRYPT }, renewBeforeDays: 30, redirect: true, hsts: null };
}

/** A DNS zone whose records Slipway manages (`dns:`). */
export interface DnsZone {
  /** Lower case, no trailing dot. */
  zone: string;
  provider:
    | { kind: 'rfc2136'; host: string; port: number; keyName: string; algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1'; secret: string }
    | { kind: 'cloudflare'; token: string; api?: string };
  /** Default TTL of the records, seconds. */
  ttl: number;
  pos?: SourcePos;
}

export type DeployPolicy = { kind: 'any' } | { kind: 'branch'; branches: string[] } | { kind: 'tags'; pattern: string };

export interface BasicAuth {
  /** user -> name of the secret holding the bcrypt hash (or plain password, hashed at render). */
  users: { user: string; secret: string }[];
}

/** One resource limit (`ulimit`): compose's `nofile: 65536` sets soft and hard alike. */
export interface Ulimit {
  soft: number;
  hard: number;
}

/** A Docker logging driver and its options (`json-file` with `max-size`/`max-file` rotates). */
export interface LogConfig {
  driver: string;
  options: Record<string, string>;
}

/** Docker restart policy names; `no` is for one-off tasks (migrations) that must not loop. */
export type RestartName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/** A host device made available in the container (`/dev/fuse`, `/dev/dri:/dev/dri:rw`). */
export interface DeviceMapping {
  host: string;
  container: string;
  /** cgroup permissions: some of `r`, `w`, `m`. */
  permissions: string;
}

/**
 * Container settings that `docker run` and compose have and the Docker Engine API carries:
 * everything beyond image, command, env, port, volumes and memory/cpu limits. Unset means the
 * engine's default, except logging, pidsLimit and oomScoreAdj, which desire fills with Slipway's
 * protective defaults (see config/container-defaults.ts). Field comments name the API field.
 */
export interface ContainerOptions {
  /** Config.User: `name`, `uid`, `uid:gid`. */
  user?: string;
  /** Config.WorkingDir. */
  workingDir?: string;
  /** Config.Entrypoint: replaces the image's ENTRYPOINT (and then its CMD is not used); `[]` clears it. */
  entrypoint?: string[];
  /** HostConfig.Tmpfs: mount path -> mount options (`size=64m,mode=1777`, or '' for defaults). */
  tmpfs?: Record<string, string>;
  /** HostConfig.CapAdd / CapDrop: capability names without `CAP_` (`NET_ADMIN`, `ALL`). */
  capAdd?: string[];
  capDrop?: string[];
  /** HostConfig.ReadonlyRootfs. */
  readOnly?: boolean;
  /** HostConfig.Privileged (`check` warns). */
  privileged?: boolean;
  /** HostConfig.Ulimits: name (`nofile`, `nproc`, `memlock`…) -> limits; -1 is unlimited. */
  ulimits?: Record<string, Ulimit>;
  /** HostConfig.Sysctls: namespaced kernel settings only (`net.*`, `kernel.shm*`, `fs.mqueue.*`…). */
  sysctls?: Record<string, string>;
  /** HostConfig.ShmSize, bytes. */
  shmSize?: number;
  /** HostConfig.Init: run Docker's init as PID 1 (reaps zombies, forwards signals). */
  init?: boolean;
  /** Config.StopSignal (`SIGQUIT` for nginx, `SIGINT`…). The grace period is ProcessSpec.stopTimeoutS. */
  stopSignal?: string;
  /** HostConfig.RestartPolicy.Name (default `unless-stopped`). */
  restart?: RestartName;
  /** HostConfig.RestartPolicy.MaximumRetryCount, with `on-failure` only. */
  restartMaxRetries?: number;
  /** User labels (Config.Labels); never `slipway.*`, which are Slipway's own. */
  labels?: Record<string, string>;
  /** HostConfig.LogConfig. */
  logging?: LogConfig;
  /** HostConfig.ExtraHosts: /etc/hosts entries; ip may be `host-gateway`. */
  extraHosts?: { host: string; ip: string }[];
  /** HostConfig.Devices. */
  devices?: DeviceMapping[];
  /** HostConfig.Dns: resolver addresses. */
  dns?: string[];
  /** HostConfig.PidsLimit: most processes/threads the container may have; -1 is unlimited. */
  pidsLimit?: number;
  /** HostConfig.OomScoreAdj, -1000..1000: higher is killed first under memory pressure. */
  oomScoreAdj?: number;
}

/** Names of every ContainerOptions field, for merging layers (defaults < environment < process). */
export const CONTAINER_OPTION_KEYS = [
  'user',
  'workingDir',
  'entrypoint',
  'tmpfs',
  'capAdd',
  'capDrop',
  'readOnly',
  'privileged',
  'ulimits',
  'sysctls',
  'shmSize',
  'init',
  'stopSignal',
  'restart',
  'restartMaxRetries',
  'labels',
  'logging',
  'extraHosts',
  'devices',
  'dns',
  'pidsLimit',
  'oomScoreAdj',
] as const satisfies readonly (keyof ContainerOptions)[];

/** Settings an environment gives every container in it (processes and env-scoped services may override). */
export interface EnvironmentContainerDefaults {
  logging?: LogConfig;
  pidsLimit?: number;
  /** Filled by normalize when the fleet file is silent: prod-like lowest, dev-like highest. */
  oomScoreAdj?: number;
}

export interface Environment {
  name: string;
  server: string;
  deploy: DeployPolicy;
  protected: boolean;
  auth: BasicAuth | null;
  rateLimit: { rps: number; burst: number } | null;
  /** Pattern with `{app}` and `{env}` placeholders, e.g. `{app}-staging.example.com`. */
  domain: string | null;
  tls: TlsSettings;
  limits: { memory?: number; cpus?: number };
  /** Log rotation, pids limit and OOM score for this environment's containers. */
  containers?: EnvironmentContainerDefaults;
  /** Age recipients of this environment's secrets file (`secrets.recipients`). */
  secretsRecipients?: string[];
  /** Backup policy (fleet `backups:` + the environment's `backup:`); null or unset: no backups. */
  backup?: BackupPolicy | null;
  /** How `slipway move` tests and hands over this environment (`move:`); defaults when absent. */
  move?: MoveSettings;
  pos?: SourcePos;
}

export interface MoveSettings {
  /** Prepended to each domain for the target's test hostnames, e.g. `test-`. */
  testPrefix: string;
  /** Paths each test hostname must answer 2xx (besides each web process's health check). */
  checks: string[];
  /** How long the environment must run on its new server before `move --finish`. */
  stableMs: number;
  /** Retry-After of the 503 that writes get during the cutover's pause. */
  retryAfterS: number;
  /** Writes during the pause: answered 503 with Retry-After, or held waiting in the proxy until it ends. */
  heldWrites: '503' | 'wait';
}

export type ServiceKind = 'postgres' | 'redis' | 'generic';

/** A shared service; its ContainerOptions fields (shm_size, ulimits, logging…) apply to each instance. */
export interface SharedService extends ContainerOptions {
  name: string;
  kind: ServiceKind;
  image: string;
  scope: 'server' | 'environment';
  memory?: number;
  cpus?: number;
  port: number;
  command?: string[];
  env: Record<string, string>;
  /** Volume name -> mount path; the data volume for postgres/redis is added automatically. */
  volumes: Record<string, string>;
  /** Seconds between the stop signal and SIGKILL (`stop_grace_period`); default 60 for postgres, else 10. */
  stopTimeoutS?: number;
  pos?: SourcePos;
}

/** Compose's `depends_on` conditions. */
export type DependsCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export type EnvValue = { kind: 'plain'; value: string } | { kind: 'secret'; name: string };

export interface HealthCheck {
  /** HTTP path Slipway probes from outside the container (no curl needed in the image). */
  path?: string;
  /**
   * A check Docker runs inside the container, as compose writes it: `["CMD", "pg_isready"]` or
   * `["CMD-SHELL", "redis-cli ping"]`. Compose health checks keep it (HTTP ones too); with no
   * `path`, readiness is Docker's health status (or the port accepting connections).
   */
  command?: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/**
 * A process of an app, with every per-environment value resolved for one environment. Its
 * ContainerOptions fields (user, tmpfs, restart, logging…) are what the fleet file or the compose
 * service says; unset fields take the environment's and Slipway's defaults in desire.
 */
export interface ProcessSpec extends ContainerOptions {
  name: string;
  command?: string[];
  port?: number;
  health: HealthCheck | null;
  replicas: number;
  memory?: number;
  cpus?: number;
  singleton: boolean;
  /** Extra env vars from compose import, merged over the app's env. */
  env: Record<string, EnvValue>;
  /** Volume name -> mount path for this process. */
  volumes: Record<string, string>;
  /** Image override (compose services with their own image, e.g. `postgres:17`). */
  image?: string;
  /** Build override (compose services with their own build context). Paths relative to the fleet file. */
  build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> };
  /** Other processes of the same app this one waits for (compose depends_on). */
  dependsOn: string[];
  /**
   * What this process waits for of each of those (by process name), as compose's `condition:`;
   * absent: `service_started`. A process another one waits for with `service_completed_successfully`
   * is a one-off task (migrations): it runs to completion once per deploy, before its dependents.
   */
  dependsOnCondition?: Record<string, DependsCondition>;
  /** Domains routed to this process itself (a `domains:` key on the process), besides the app's. */
  domains?: string[];
  /**
   * Whether the app's domains route to this process. Unset: the process named `web`, else the
   * first with a port. Compose import sets it on every process (its choice, see routing.ts).
   */
  web?: boolean;
  /** Bind mounts from compose: host paths kept as they are, repository files and folders shipped (see ProcessBind). */
  binds?: ProcessBind[];
  /**
   * Networks of the app this process joins (compose `networks:`, `default` when it lists none):
   * each is one network per environment, `{project}-{env}-{app}-{name}`. Unset: the process is on
   * its environment's private network only (apps not imported from compose).
   */
  networks?: ProcessNetwork[];
  /**
   * Short names the other processes of the app reach this one by on those networks (besides
   * `{app}-{env}-{process}`): the compose service name, `container_name`, `hostname`, `links` and
   * network aliases.
   */
  aliases?: string[];
  /** Existing volumes mounted by their own name (compose `external: true`): volume name -> mount path. Never created or deleted. */
  externalVolumes?: Record<string, string>;
  stopTimeoutS: number;
  pos?: SourcePos;
}

/** A network of an app (compose `networks:`), one per environment. */
export interface ProcessNetwork {
  /** Its name in the compose file (`default` for compose's implicit one). */
  name: string;
  /** `internal: true`: no route out; only what is on the same network is reachable. */
  internal: boolean;
  /** `external: true`: an existing network joined by this name as is, never created or deleted. */
  external?: string;
}

/**
 * A bind mount of a compose service (or a compose `configs:`/`secrets:` file). Without `repo`, a
 * host path of the server (`/var/run/docker.sock`), bound as it is. With `repo`, a file or folder
 * of the repository, shipped to the server by each deploy (from the deployed commit), one copy per
 * environment, content-addressed, and bound from there.
 */
export interface ProcessBind {
  /** Host path (absolute or `~`), or repository path relative to the fleet file (`./config/routes.json`). */
  source: string;
  target: string;
  readOnly: boolean;
  repo?: RepoContent;
}

export interface RepoContent {
  type: 'file' | 'dir';
  /** Digest of the working tree's content when the fleet was loaded (model/file-digest.ts); never set for a secret. */
  digest?: string;
  /** A compose secret: mode 0400 unless given, its content never printed nor hashed into anything shown. */
  secret?: boolean;
  /** Permission bits of the shipped file(s); default: 0644 (0755 when executable in git), secrets 0400. */
  mode?: number;
  uid?: number;
  gid?: number;
}

export type AppSource =
  | { kind: 'git'; repo: string; dockerfile: string; context: string }
  | { kind: 'image'; image: string }
  | { kind: 'compose'; file: string };

/** The app as it runs in one environment. */
export interface AppEnv {
  env: string;
  /** Server this app runs on in this environment: the environment's server unless the app overrides placement. */
  server: string;
  domains: string[];
  processes: ProcessSpec[];
  env_vars: Record<string, EnvValue>;
  /** The app's `redis:` section for this environment (absent when the fleet file has none). */
  redis?: AppRedis;
}

/** How an app uses Redis in one environment (`apps.X.redis`). */
export interface AppRedis {
  /** Key prefixes from `key_prefix`, `{app}`/`{env}` filled in (empty: none declared there). */
  keyPrefixes: string[];
  /** A protected environment may share every key of a server-scoped Redis (`accept_shared_keys`). */
  acceptSharedKeys: boolean;
}

export interface App {
  name: string;
  source: AppSource;
  uses: string[];
  dependsOn: string[];
  release: string[][];
  environments: string[];
  /** Per environment, resolved. Keyed by env name. */
  perEnv: Record<string, AppEnv>;
  /** Volume names declared by the app (media, uploads…), per environment once desired. */
  volumes: string[];
  pos?: SourcePos;
}

export interface Fleet {
  project: string;
  file: string;
  servers: Server[];
  environments: Environment[];
  services: SharedService[];
  apps: App[];
  /** The encrypted secrets files beside the fleet file (absent: folder `secrets`, no fleet-wide recipients). */
  secrets?: SecretsConfig;
  /** Zones whose A/AAAA records Slipway manages (`dns:`); empty when none. */
  dns: DnsZone[];
  /** `control_plane:` (slipway serve): its settings, defaults filled in. */
  controlPlane: ControlPlaneConfig;
}
