// The normalized Fleet: what `load` returns once a slipway.yaml is parsed, validated and
// compose files are imported. Every per-environment value is already resolved here, so later
// stages (desire, check, render) never look at raw YAML.
import type { SourcePos } from '../diag/diagnostic.ts';

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
  pos?: SourcePos;
}

export type DeployPolicy = { kind: 'any' } | { kind: 'branch'; branches: string[] } | { kind: 'tags'; pattern: string };

export interface BasicAuth {
  /** user -> name of the secret holding the bcrypt hash (or plain password, hashed at render). */
  users: { user: string; secret: string }[];
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
  tls: 'auto' | 'off' | 'internal';
  limits: { memory?: number; cpus?: number };
  pos?: SourcePos;
}

export type ServiceKind = 'postgres' | 'redis' | 'generic';

export interface SharedService {
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
  pos?: SourcePos;
}

export type EnvValue = { kind: 'plain'; value: string } | { kind: 'secret'; name: string };

export interface HealthCheck {
  path: string;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** A process of an app, with every per-environment value resolved for one environment. */
export interface ProcessSpec {
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
  build?: { context: string; dockerfile: string };
  /** Other processes of the same app this one waits for (compose depends_on). */
  dependsOn: string[];
  stopTimeoutS: number;
  pos?: SourcePos;
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
}
