// Raw (schema-valid) fleet → normalized Fleet: defaults applied, sizes in bytes, commands as
// argv, every per-environment value resolved for each environment the app runs in.
import type { Diagnostic, SourcePos } from '../diag/diagnostic.ts';
import { parseDuration } from '../util/duration.ts';
import { splitShellWords } from '../util/shell-words.ts';
import { parseSize } from '../util/size.ts';
import { defaultOomScoreAdj, mergeContainerOptions, pickContainerOptions } from './container-defaults.ts';
import type {
  App,
  AppRedis,
  AppEnv,
  AppSource,
  ContainerOptions,
  DeployPolicy,
  EnvValue,
  Environment,
  EnvironmentContainerDefaults,
  Fleet,
  HealthCheck,
  ProcessSpec,
  Server,
  SharedService,
} from './fleet.ts';
import { checkBackupsSection, normalizeBackup } from './normalize-backup.ts';
import { checkControlPlaneNames, normalizeControlPlane } from './normalize-control-plane.ts';
import { controlPlaneApps } from './control-plane-app.ts';
import { normalizeMove } from './normalize-move.ts';
import { normalizeContainerKeys, normalizeLogging } from './normalize-container.ts';
import { dnsZones, envTls, fleetTlsDefaults, serverAddresses } from './normalize-tls.ts';
import { forEnv, isPerEnvMap } from './per-env.ts';
import { normalizeRecipients, normalizeSecrets } from './secrets-config.ts';
import type { RawApp, RawEnvValue, RawFleet, RawProcess, RawService } from './schema.ts';
import type { PathPart, YamlSource } from './yaml-source.ts';

/** What one environment of a compose app reads: files merged in order, env files (else the `.env` beside the first file) and enabled profiles. Paths as written in slipway.yaml. */
export interface ComposeImport {
  files: string[];
  envFiles?: string[];
  profiles: string[];
}

export type ComposeImporter = (
  source: ComposeImport,
  ctx: { project: string; app: string; env: string; pos?: SourcePos },
) => {
  processes: ProcessSpec[];
  volumes: string[];
  /** Problems of converting for this environment (reported for the app's first environment). */
  diagnostics: Diagnostic[];
  /** Problems in the compose files themselves, given once per distinct set of files (always reported). */
  sourceDiagnostics?: Diagnostic[];
};

export interface NormalizeContext {
  src: YamlSource;
  diagnostics: Diagnostic[];
  importCompose?: ComposeImporter;
}

export function normalize(raw: RawFleet, ctx: NormalizeContext): Fleet {
  const envNames = Object.keys(raw.environments);
  const servers = Object.entries(raw.servers).map(([name, s]) => normalizeServer(name, s, ctx));
  const tlsDefaults = fleetTlsDefaults(raw.tls, ctx);
  checkBackupsSection(raw.backups, ctx);
  const environments = Object.entries(raw.environments).map(
    ([name, e]): Environment => ({
      name,
      server: e.server,
      deploy: deployPolicy(e.deploy),
      protected: e.protected ?? false,
      auth:
        e.auth === 'basic'
          ? { users: [{ user: 'team', secret: `basic-auth-${name}` }] }
          : e.auth === undefined || e.auth === 'none'
            ? null
            : { users: Object.entries(e.auth.basic.users).map(([user, ref]) => ({ user, secret: ref.secret })) },
      rateLimit: e.rate_limit ? { rps: e.rate_limit.rps, burst: e.rate_limit.burst ?? e.rate_limit.rps * 2 } : null,
      domain: e.domain ?? null,
      tls: envTls(name, e.tls, tlsDefaults, ctx),
      limits: { memory: e.limits?.memory !== undefined ? parseSize(e.limits.memory) : undefined, cpus: e.limits?.cpus },
      containers: envContainerDefaults(name, e, ctx),
      secretsRecipients: normalizeRecipients(e.secrets),
      backup: normalizeBackup(name, e.backup, raw.backups, ctx),
      move: normalizeMove(name, e.move, ctx),
      pos: ctx.src.posOf(['environments', name]),
    }),
  );
  const services = Object.entries(raw.services ?? {}).map(([name, s]): SharedService => {
    const kind = s.kind ?? (/(^|\/)postgres(:|$)/.test(s.image) ? 'postgres' : /(^|\/)redis(:|$)/.test(s.image) ? 'redis' : 'generic');
    return {
      name,
      kind,
      image: s.image,
      // Redis defaults to one instance per environment: ACLs bound keys, not memory, CPU or eviction (docs/decisions.md).
      scope: s.scope ?? (kind === 'redis' ? 'environment' : 'server'),
      memory: s.memory !== undefined ? parseSize(s.memory) : undefined,
      cpus: s.cpus,
      port: s.port ?? (kind === 'postgres' ? 5432 : kind === 'redis' ? 6379 : 80),
      command: s.command === undefined ? undefined : argv(s.command, ['services', name, 'command'], ctx),
      env: Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, String(v)])),
      volumes: s.volumes ?? {},
      ...serviceContainerOptions(name, s, envNames, ctx),
      pos: ctx.src.posOf(['services', name]),
    };
  });
  const apps = Object.entries(raw.apps ?? {}).map(([name, a]) => normalizeApp(raw.project, name, a, environments, envNames, ctx));
  const controlPlane = normalizeControlPlane(raw.control_plane, ctx);
  checkControlPlaneNames(
    controlPlane,
    apps.map((a) => a.name),
    envNames,
    ctx,
    servers.map((s) => s.name),
  );
  apps.push(...controlPlaneApps(controlPlane, { servers, environments, apps }, ctx));
  return {
    project: raw.project,
    file: ctx.src.file,
    servers,
    environments,
    services,
    apps,
    secrets: normalizeSecrets(raw.secrets),
    dns: dnsZones(raw.dns, ctx),
    controlPlane,
  };
}

/** An environment's container defaults; the OOM score is always explicit after this. */
function envContainerDefaults(name: string, e: RawFleet['environments'][string], ctx: NormalizeContext): EnvironmentContainerDefaults {
  const out: EnvironmentContainerDefaults = { oomScoreAdj: e.oom_score_adj ?? defaultOomScoreAdj({ name, protected: e.protected ?? false }) };
  if (e.logging) {
    const l = normalizeLogging(e.logging, ['environments', name, 'logging'], ctx);
    if (l) out.logging = l;
  }
  if (e.pids_limit !== undefined) out.pidsLimit = e.pids_limit;
  return out;
}

/** A service's container keys; a service is not per environment, so per-env maps are refused. */
function serviceContainerOptions(name: string, s: RawService, envNames: string[], ctx: NormalizeContext): ContainerOptions & { stopTimeoutS?: number } {
  for (const key of ['pids_limit', 'oom_score_adj'] as const) {
    if (isPerEnvMap(s[key], envNames))
      ctx.diagnostics.push({
        severity: 'error',
        code: 'bad-type',
        path: `services/${name}/${key}`,
        message: `${key} of service "${name}" is a map of environments, but a shared service has one value`,
        hint: "give one number (an environment-scoped instance takes its environment's value when this is unset)",
        pos: ctx.src.posOf(['services', name, key]),
      });
  }
  const opts: ContainerOptions & { stopTimeoutS?: number } = normalizeContainerKeys(s, ['services', name], '', envNames, ctx);
  if (s.stop_grace_period !== undefined) opts.stopTimeoutS = graceSeconds(s.stop_grace_period);
  return opts;
}

/** `stop_grace_period: 1m30s` → whole seconds, at least 1. */
function graceSeconds(d: string): number {
  return Math.max(1, Math.ceil((parseDuration(d) ?? 10_000) / 1000));
}

function normalizeServer(name: string, s: RawFleet['servers'][string], ctx: NormalizeContext): Server {
  let transport: Server['transport'] = { kind: 'local', socket: s.socket };
  if (s.ssh) {
    const m = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(s.ssh)!;
    transport = { kind: 'ssh', user: m[1] ?? 'root', host: m[2]!, port: m[3] ? Number(m[3]) : 22, hostKey: s.host_key, identity: s.identity };
  }
  return {
    name,
    transport,
    memory: s.memory !== undefined ? parseSize(s.memory) : undefined,
    cpus: s.cpus,
    disk: s.disk !== undefined ? parseSize(s.disk) : undefined,
    proxy: s.proxy ?? 'caddy',
    httpPort: s.http_port ?? 80,
    httpsPort: s.https_port,
    addresses: serverAddresses(name, s.address, ctx),
    secretsRecipients: normalizeRecipients(s.secrets),
    pos: ctx.src.posOf(['servers', name]),
  };
}

function deployPolicy(d: RawFleet['environments'][string]['deploy']): DeployPolicy {
  if (d === undefined || d === 'any') return { kind: 'any' };
  if ('tags' in d) return { kind: 'tags', pattern: d.tags };
  return { kind: 'branch', branches: Array.isArray(d.branch) ? d.branch : [d.branch] };
}

function normalizeApp(project: string, name: string, a: RawApp, envs: Environment[], envNames: string[], ctx: NormalizeContext): App {
  const source = appSource(a);
  const appEnvs = a.environments ?? envNames;
  const perEnv: Record<string, AppEnv> = {};
  const volumes = new Set(Object.keys(a.volumes ?? {}));
  const composeServices = new Set<string>();
  for (const env of envs.filter((e) => appEnvs.includes(e.name))) {
    let processes: ProcessSpec[];
    if (source.kind === 'compose' && ctx.importCompose) {
      const imported = ctx.importCompose(composeImport(a, env.name), { project, app: name, env: env.name, pos: ctx.src.posOf(['apps', name, 'compose']) });
      ctx.diagnostics.push(...(imported.sourceDiagnostics ?? []));
      if (env.name === appEnvs[0]) ctx.diagnostics.push(...imported.diagnostics);
      for (const p of imported.processes) composeServices.add(p.name);
      imported.volumes.forEach((v) => volumes.add(v));
      processes = mergeProcessOverrides(imported.processes, a, env.name, envNames, ctx, name);
    } else {
      processes = Object.entries(a.processes ?? {}).map(([pname, p]) => normalizeProcess(name, pname, p, env.name, envNames, ctx, a));
    }
    const hasWeb = processes.some((p) => p.port !== undefined && p.web !== false);
    perEnv[env.name] = {
      env: env.name,
      server: a.placement?.[env.name] ?? env.server,
      domains: hasWeb ? domainsFor(name, a, env, envNames) : [],
      processes,
      env_vars: envVars(a.env, env.name, envNames),
    };
    if (a.redis) perEnv[env.name]!.redis = appRedis(name, a.redis, env.name, envNames);
  }
  if (source.kind === 'compose' && ctx.importCompose) unknownComposeOverrides(a, name, composeServices, ctx);
  return {
    name,
    source,
    uses: a.uses ?? [],
    dependsOn: a.depends_on ?? [],
    release: (a.release ?? []).map((r, i) => argv(r, ['apps', name, 'release', i], ctx)),
    environments: envs.filter((e) => appEnvs.includes(e.name)).map((e) => e.name),
    perEnv,
    volumes: [...volumes].sort(),
    pos: ctx.src.posOf(['apps', name]),
  };
}

function appRedis(app: string, r: NonNullable<RawApp['redis']>, env: string, envNames: string[]): AppRedis {
  const raw = forEnv(r.key_prefix, env, envNames);
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return { keyPrefixes: list.map((k) => k.replaceAll('{app}', app).replaceAll('{env}', env)), acceptSharedKeys: r.accept_shared_keys ?? false };
}

function appSource(a: RawApp): AppSource {
  if (a.image) return { kind: 'image', image: a.image };
  if (a.compose) return { kind: 'compose', file: composeImport(a, undefined).files[0]! };
  const g = a.git ?? '.';
  return typeof g === 'string'
    ? { kind: 'git', repo: g, dockerfile: 'Dockerfile', context: '.' }
    : { kind: 'git', repo: g.repo, dockerfile: g.dockerfile ?? 'Dockerfile', context: g.context ?? '.' };
}

function domainsFor(app: string, a: RawApp, env: Environment, envNames: string[]): string[] {
  const explicit = forEnv(a.domains, env.name, envNames);
  const fill = (d: string) => d.replaceAll('{app}', app).replaceAll('{env}', env.name);
  if (explicit !== undefined) return (Array.isArray(explicit) ? explicit : [explicit]).map(fill);
  return env.domain ? [fill(env.domain)] : [];
}

function envVars(raw: Record<string, RawEnvValue> | undefined, env: string, envNames: string[]): Record<string, EnvValue> {
  const out: Record<string, EnvValue> = {};
  for (const [key, v] of Object.entries(raw ?? {})) {
    const resolved = envValue(v, env, envNames);
    if (resolved) out[key] = resolved;
  }
  return out;
}

function envValue(v: RawEnvValue | null | undefined, env: string, envNames: string[]): EnvValue | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return { kind: 'plain', value: String(v) };
  if ('secret' in v && typeof v.secret === 'string') return { kind: 'secret', name: v.secret };
  if (isPerEnvMap(v, envNames)) return envValue(forEnv(v as Record<string, RawEnvValue>, env, envNames) as RawEnvValue | undefined, env, envNames);
  return undefined;
}

function normalizeProcess(app: string, name: string, p: RawProcess, env: string, envNames: string[], ctx: NormalizeContext, a: RawApp): ProcessSpec {
  const mem = forEnv(p.memory, env, envNames);
  const base = ['apps', app, 'processes', name];
  if (p.stop_timeout !== undefined && p.stop_grace_period !== undefined)
    ctx.diagnostics.push({
      severity: 'error',
      code: 'conflicting-keys',
      path: [...base, 'stop_grace_period'].join('/'),
      message: `process "${name}" sets both stop_timeout and stop_grace_period`,
      hint: 'keep one: stop_timeout in seconds, or stop_grace_period as a duration (30s, 1m30s)',
      pos: ctx.src.posOf([...base, 'stop_grace_period']),
    });
  return {
    ...normalizeContainerKeys(p, base, env, envNames, ctx),
    name,
    command: p.command === undefined ? undefined : argv(p.command, ['apps', app, 'processes', name, 'command'], ctx),
    port: p.port,
    health: health(p.health),
    replicas: forEnv(p.replicas, env, envNames) ?? 1,
    memory: mem !== undefined ? parseSize(mem) : undefined,
    cpus: forEnv(p.cpus, env, envNames),
    singleton: p.singleton ?? false,
    env: envVars(p.env, env, envNames),
    volumes: { ...(a.volumes ?? {}), ...(p.volumes ?? {}) },
    stopTimeoutS: p.stop_timeout ?? (p.stop_grace_period !== undefined ? graceSeconds(p.stop_grace_period) : 10),
    dependsOn: [],
    ...processRouting(app, p, env, envNames),
    pos: ctx.src.posOf(['apps', app, 'processes', name]),
  };
}

/** A process's own `domains:` (per environment, `{app}`/`{env}` filled) and its `web:` flag. */
function processRouting(app: string, p: RawProcess, env: string, envNames: string[]): Pick<ProcessSpec, 'domains' | 'web'> {
  const out: Pick<ProcessSpec, 'domains' | 'web'> = {};
  const d = forEnv(p.domains, env, envNames);
  if (d !== undefined) out.domains = (Array.isArray(d) ? d : [d]).map((x) => x.replaceAll('{app}', app).replaceAll('{env}', env));
  if (p.web !== undefined) out.web = p.web;
  return out;
}

/** `compose:` as written (a file, a list of files, or `{ files, env_file, profiles, environments }`) → what `env` reads. */
export function composeImport(a: RawApp, env: string | undefined): ComposeImport {
  const c = a.compose;
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  if (c === undefined || typeof c === 'string' || Array.isArray(c)) return { files: list(c), profiles: [] };
  const layer = env === undefined ? undefined : c.environments?.[env];
  const envFiles = c.env_file !== undefined || layer?.env_file !== undefined ? [...list(c.env_file), ...list(layer?.env_file)] : undefined;
  return {
    files: [...list(c.files), ...list(layer?.files)],
    ...(envFiles ? { envFiles } : {}),
    profiles: [...(c.profiles ?? []), ...(layer?.profiles ?? [])],
  };
}

/** A `processes:` override must name a service that some environment's compose files define. */
function unknownComposeOverrides(a: RawApp, app: string, services: ReadonlySet<string>, ctx: NormalizeContext): void {
  for (const pname of Object.keys(a.processes ?? {})) {
    if (services.has(pname)) continue;
    ctx.diagnostics.push({
      severity: 'error',
      code: 'unknown-reference',
      path: `apps/${app}/processes/${pname}`,
      message: `process "${pname}" is not a service of the compose file ${composeImport(a, undefined).files.join(' + ')}`,
      hint: `services there: ${[...services].join(', ')}`,
      pos: ctx.src.posOfKey(['apps', app, 'processes'], pname),
    });
  }
}

/** `processes:` next to `compose:` overrides fields of the imported processes. */
function mergeProcessOverrides(imported: ProcessSpec[], a: RawApp, env: string, envNames: string[], ctx: NormalizeContext, app: string): ProcessSpec[] {
  const overrides = a.processes ?? {};
  // `web: true` on one process in the fleet file moves the app's domains there from compose's choice.
  const webOverride = Object.entries(overrides).some(([, o]) => o.web === true);
  return imported.map((p) => {
    const o = overrides[p.name];
    if (!o) return webOverride && p.web ? { ...p, web: false } : p;
    const n = normalizeProcess(app, p.name, o, env, envNames, ctx, a);
    return {
      ...p,
      ...mergeContainerOptions(pickContainerOptions(p), pickContainerOptions(n)),
      command: o.command !== undefined ? n.command : p.command,
      port: o.port ?? p.port,
      health: o.health !== undefined ? n.health : p.health,
      replicas: o.replicas !== undefined ? n.replicas : p.replicas,
      memory: o.memory !== undefined ? n.memory : p.memory,
      cpus: o.cpus !== undefined ? n.cpus : p.cpus,
      singleton: o.singleton ?? p.singleton,
      env: { ...p.env, ...n.env },
      volumes: { ...p.volumes, ...(o.volumes ?? {}) },
      ...(o.domains !== undefined ? { domains: n.domains } : {}),
      ...(o.web !== undefined ? { web: o.web } : webOverride && p.web ? { web: false } : {}),
      stopTimeoutS: o.stop_timeout !== undefined || o.stop_grace_period !== undefined ? n.stopTimeoutS : p.stopTimeoutS,
    };
  });
}

function health(h: RawProcess['health']): HealthCheck | null {
  if (h === undefined) return null;
  const o = typeof h === 'string' ? { path: h } : h;
  return {
    path: o.path,
    intervalMs: parseDuration(('interval' in o && o.interval) || '2s') ?? 2000,
    timeoutMs: parseDuration(('timeout' in o && o.timeout) || '3s') ?? 3000,
    retries: ('retries' in o && o.retries) || 15,
    startPeriodMs: parseDuration(('start_period' in o && o.start_period) || '0s') ?? 0,
  };
}

function argv(cmd: string | string[], path: PathPart[], ctx: NormalizeContext): string[] {
  if (Array.isArray(cmd)) return cmd;
  try {
    return splitShellWords(cmd);
  } catch (e) {
    ctx.diagnostics.push({
      severity: 'error',
      code: 'bad-command',
      path: path.join('/'),
      message: (e as Error).message,
      hint: 'close the quote, or write the command as an argv list',
      pos: ctx.src.posOf(path),
    });
    return [cmd];
  }
}
