// Test helper: builds a normalized Fleet from a compact description, with the defaults the
// loader would fill in. For tests only (desire, check, renderers, diff); never used at run time.
import type {
  App,
  AppEnv,
  AppSource,
  EnvValue,
  Environment,
  Fleet,
  HealthCheck,
  ProcessSpec,
  Server,
  ServiceKind,
  SharedService,
} from '../config/fleet.ts';
import { parseSize } from '../util/size.ts';

type Size = string | number;
/** Plain string, or `{ secret: name }`. */
type EnvLike = string | { secret: string };

export interface TServer {
  name: string;
  memory?: Size;
  cpus?: number;
  proxy?: 'caddy' | 'nginx';
  httpPort?: number;
  httpsPort?: number;
}

export interface TEnv {
  name: string;
  /** Defaults to the first server. */
  server?: string;
  protected?: boolean;
  /** Users of basic auth; each gets secret `auth/{env}/{user}`. */
  auth?: string[];
  rateLimit?: { rps: number; burst: number };
  /** Pattern with `{app}`/`{env}`; gives each app with a web process a domain here. */
  domain?: string;
  tls?: Environment['tls'];
  memory?: Size;
  cpus?: number;
}

export interface TService {
  name: string;
  kind?: ServiceKind;
  image?: string;
  scope?: 'server' | 'environment';
  memory?: Size;
  cpus?: number;
  port?: number;
  env?: Record<string, string>;
  volumes?: Record<string, string>;
}

export interface TProcess {
  port?: number;
  replicas?: number;
  memory?: Size;
  cpus?: number;
  singleton?: boolean;
  /** `true` gives a default health check on `/health`. */
  health?: boolean | Partial<HealthCheck>;
  env?: Record<string, EnvLike>;
  volumes?: Record<string, string>;
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  dependsOn?: string[];
}

/** Overrides for one environment. */
export interface TAppEnv {
  server?: string;
  domains?: string[];
  env?: Record<string, EnvLike>;
  /** Per-process overrides, merged over the app's process description. */
  processes?: Record<string, TProcess>;
}

export interface TApp {
  name: string;
  /** `image:<ref>` for an image source; otherwise a git source. */
  source?: string;
  uses?: string[];
  dependsOn?: string[];
  /** Defaults to every environment. */
  environments?: string[];
  processes?: Record<string, TProcess>;
  env?: Record<string, EnvLike>;
  volumes?: string[];
  perEnv?: Record<string, TAppEnv>;
}

export interface TFleet {
  project?: string;
  servers?: TServer[];
  envs?: TEnv[];
  services?: TService[];
  apps?: TApp[];
}

const size = (s: Size | undefined): number | undefined => (s === undefined ? undefined : parseSize(s));
const envValues = (r: Record<string, EnvLike> | undefined): Record<string, EnvValue> => {
  const out: Record<string, EnvValue> = {};
  for (const [k, v] of Object.entries(r ?? {})) out[k] = typeof v === 'string' ? { kind: 'plain', value: v } : { kind: 'secret', name: v.secret };
  return out;
};
const opt = <K extends string, V>(k: K, v: V | undefined): Partial<Record<K, V>> => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));

export const DEFAULT_HEALTH: HealthCheck = { path: '/health', intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 10000 };

function processSpec(name: string, t: TProcess): ProcessSpec {
  const health = t.health === undefined || t.health === false ? null : t.health === true ? { ...DEFAULT_HEALTH } : { ...DEFAULT_HEALTH, ...t.health };
  return {
    name,
    health,
    replicas: t.replicas ?? 1,
    singleton: t.singleton ?? false,
    env: envValues(t.env),
    volumes: { ...(t.volumes ?? {}) },
    dependsOn: [...(t.dependsOn ?? [])],
    stopTimeoutS: 10,
    ...opt('port', t.port),
    ...opt('memory', size(t.memory)),
    ...opt('cpus', t.cpus),
    ...opt('image', t.image),
    ...opt('build', t.build),
    ...opt('command', t.command),
  };
}

export function testFleet(t: TFleet = {}): Fleet {
  const project = t.project ?? 'acme';
  const servers: Server[] = (t.servers ?? [{ name: 'main' }]).map((s) => ({
    name: s.name,
    transport: { kind: 'local' },
    proxy: s.proxy ?? 'caddy',
    httpPort: s.httpPort ?? 80,
    ...opt('httpsPort', s.httpsPort),
    ...opt('memory', size(s.memory)),
    ...opt('cpus', s.cpus),
  }));
  const environments: Environment[] = (t.envs ?? [{ name: 'prod' }]).map((e) => ({
    name: e.name,
    server: e.server ?? servers[0]!.name,
    deploy: { kind: 'any' },
    protected: e.protected ?? false,
    auth: e.auth ? { users: e.auth.map((user) => ({ user, secret: `auth/${e.name}/${user}` })) } : null,
    rateLimit: e.rateLimit ?? null,
    domain: e.domain ?? null,
    tls: e.tls ?? 'auto',
    limits: { ...opt('memory', size(e.memory)), ...opt('cpus', e.cpus) },
  }));
  const services: SharedService[] = (t.services ?? []).map((s) => {
    const kind = s.kind ?? (s.name.includes('redis') ? 'redis' : s.name.includes('postgres') ? 'postgres' : 'generic');
    return {
      name: s.name,
      kind,
      image: s.image ?? (kind === 'postgres' ? 'postgres:17' : kind === 'redis' ? 'redis:7' : 'busybox:1'),
      scope: s.scope ?? 'server',
      port: s.port ?? (kind === 'postgres' ? 5432 : kind === 'redis' ? 6379 : 8080),
      env: { ...(s.env ?? {}) },
      volumes: { ...(s.volumes ?? {}) },
      ...opt('memory', size(s.memory)),
      ...opt('cpus', s.cpus),
    };
  });
  const apps: App[] = (t.apps ?? []).map((a) => {
    const envNames = a.environments ?? environments.map((e) => e.name);
    const source: AppSource = a.source?.startsWith('image:')
      ? { kind: 'image', image: a.source.slice('image:'.length) }
      : { kind: 'git', repo: a.source ?? `git@example.com:${a.name}.git`, dockerfile: 'Dockerfile', context: '.' };
    const perEnv: Record<string, AppEnv> = {};
    for (const envName of envNames) {
      const env = environments.find((e) => e.name === envName);
      const o = a.perEnv?.[envName] ?? {};
      const procs = { ...(a.processes ?? { web: { port: 8000 } }) };
      for (const [pn, po] of Object.entries(o.processes ?? {})) procs[pn] = { ...(procs[pn] ?? {}), ...po };
      const processes = Object.entries(procs).map(([pn, pt]) => processSpec(pn, pt));
      const hasWeb = processes.some((p) => p.port !== undefined);
      const domains = o.domains ?? (env?.domain && hasWeb ? [env.domain.replaceAll('{app}', a.name).replaceAll('{env}', envName)] : []);
      perEnv[envName] = {
        env: envName,
        server: o.server ?? env?.server ?? servers[0]!.name,
        domains,
        processes,
        env_vars: { ...envValues(a.env), ...envValues(o.env) },
      };
    }
    return {
      name: a.name,
      source,
      uses: [...(a.uses ?? [])],
      dependsOn: [...(a.dependsOn ?? [])],
      release: [],
      environments: envNames,
      perEnv,
      volumes: [...(a.volumes ?? [])],
    };
  });
  return { project, file: 'slipway.yaml', servers, environments, services, apps };
}
