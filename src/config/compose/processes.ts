// Turns a ComposeProject into the processes of one app in one environment: what seed 002 did by
// hand (suffixing 14 services, their hostnames, volumes and depends_on) done per environment.
// - service hostnames in env values and command URLs → alias `{app}-{env}-{process}`
// - the names a service answers to in compose and its networks (service-names.ts) become the
//   process's `aliases` and `networks`: desire gives each app its own networks per environment,
//   so code and config files that say `db` or `backend:8000` work unchanged
// - named volumes keep their compose name (desire names them per environment), external ones are
//   mounted by their own name; bind mounts are `binds` with a path, never named volumes
// - healthchecks keep their command (Docker runs it) and, for curl/wget probes, the HTTP path
// - the app's domains route to the service a user would expose (routing.ts); `x-slipway` on a
//   service can say `web: true|false` and give it its own `domains`
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import type { EnvValue, HealthCheck, ProcessSpec } from '../fleet.ts';
import { httpProbe, isDisabledTest } from './health-probe.ts';
import { checkLabelKey } from '../container-options.ts';
import { type HostPattern, hostPattern, rewriteHosts } from './hostnames.ts';
import { composeNetworks, isHostName, linkedServices, serviceNames } from './service-names.ts';
import { chooseRoute } from './routing.ts';
import { type SourceReader, workingTreeReader } from './bind-sources.ts';
import { bindMount, fileRefBinds } from './service-binds.ts';
import type { ComposeHealth, ComposeProject, ComposeService } from './types.ts';

export { httpProbe } from './health-probe.ts';

export interface ComposeProcessContext {
  project: string;
  app: string;
  env: string;
  /** Directory of the fleet file: build contexts and bind sources are made relative to it. */
  fleetDir: string;
  /** What a bind source holds (default: the working tree, read once per call). */
  readSource?: SourceReader;
}

export const COMPOSE_HEALTH_DEFAULTS = { intervalMs: 5000, timeoutMs: 3000, retries: 10, startPeriodMs: 0 } as const;
const DEFAULT_STOP_TIMEOUT_S = 10;

/** Process name for a compose service: lowercase, `_` and `.` become `-` (`strapi_cms` → `strapi-cms`). */
export function processName(service: string): string {
  return service
    .toLowerCase()
    .replace(/[_.]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Every hostname a service answers to in compose (name, aliases, container_name, hostname, links) → its alias here. */
export function composeHostMap(compose: ComposeProject, app: string, env: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const [service, names] of serviceNames(compose).names) {
    const alias = `${app}-${env}-${processName(service)}`;
    // A service name DNS cannot carry resolves nowhere (and would not fit in a pattern).
    for (const h of names) if (isHostName(h) && !map.has(h)) map.set(h, alias);
  }
  return map;
}

export function composeToProcesses(
  compose: ComposeProject,
  ctx: ComposeProcessContext,
): { processes: ProcessSpec[]; volumes: string[]; diagnostics: Diagnostic[] } {
  const named = serviceNames(compose);
  const nets = composeNetworks(compose);
  const diagnostics: Diagnostic[] = [...named.diagnostics, ...nets.diagnostics];
  const hosts = hostPattern(composeHostMap(compose, ctx.app, ctx.env));
  const composeDir = dirname(resolve(compose.file)); // as given to readCompose (absolute from the loader)
  const volumes = new Set<string>();
  const seen = new Map<string, string>();
  const processes: ProcessSpec[] = [];
  const route = chooseRoute(compose.services);
  for (const s of compose.services) {
    const name = processName(s.name);
    const clash = seen.get(name);
    if (clash !== undefined) {
      diagnostics.push({
        severity: 'error',
        code: 'duplicate-process',
        path: `services/${s.name}`,
        message: `services "${clash}" and "${s.name}" both become process "${name}"`,
        hint: 'rename one of them in the compose file',
        pos: s.pos,
      });
      continue;
    }
    seen.set(name, s.name);
    if (name !== s.name)
      diagnostics.push({
        severity: 'info',
        code: 'process-renamed',
        path: `services/${s.name}`,
        message: `service "${s.name}" becomes process "${name}" (alias ${ctx.app}-${ctx.env}-${name})`,
        hint: 'process names use lowercase letters, digits and dashes',
        pos: s.pos,
      });
    const p = toProcess(s, name, ctx, hosts, composeDir, volumes, diagnostics, compose);
    p.aliases = named.names.get(s.name) ?? [s.name];
    p.networks = nets.of(s);
    p.web = route.web?.service === s.name;
    if (p.web && p.port === undefined) p.port = route.web!.port;
    processes.push(p);
  }
  return { processes, volumes: [...volumes].sort(), diagnostics };
}

function toProcess(
  s: ComposeService,
  name: string,
  ctx: ComposeProcessContext,
  hosts: HostPattern,
  composeDir: string,
  volumes: Set<string>,
  diagnostics: Diagnostic[],
  compose: ComposeProject,
): ProcessSpec {
  const base = `services/${s.name}`;
  const env: Record<string, EnvValue> = {};
  for (const [key, raw] of Object.entries(s.environment)) {
    const r = rewriteHosts(raw, hosts, key);
    for (const bare of r.keptBare)
      diagnostics.push({
        severity: 'info',
        code: 'bare-name-kept',
        path: `${base}/environment/${key}`,
        message: `${key}=${bare} names service "${bare}" but ${key} does not look like a host, so it is left as is`,
        hint: `if it is a hostname, use \${${ctx.app}.${processName(bare)}} or rename the key (…_HOST)`,
        pos: s.envPos[key] ?? s.pos,
      });
    // Desire interpolates `${…}` in env values; what compose left literal must stay literal.
    env[key] = { kind: 'plain', value: r.value.replace(/\$\{/g, () => '$${') };
  }

  const command = s.command?.map((a) => rewriteHosts(a, hosts).value);

  const procVolumes: Record<string, string> = {};
  const externalVolumes: Record<string, string> = {};
  const binds: NonNullable<ProcessSpec['binds']> = [];
  const bindCtx = { composeDir, fleetDir: ctx.fleetDir, read: ctx.readSource ?? workingTreeReader() };
  for (const mount of s.volumes) {
    // A path is never a volume name: host paths stay binds, repository files are shipped,
    // development mounts are left out, a missing data directory is a volume (service-binds.ts).
    const v = mount.kind === 'bind' ? bindMount(mount, s, bindCtx, binds, diagnostics) : mount;
    if (v === undefined) continue;
    const external = compose.volumeSettings?.[v.source]?.external;
    if (external !== undefined) {
      externalVolumes[external] = v.target;
      continue;
    }
    volumes.add(v.source);
    if (v.source in procVolumes)
      diagnostics.push({
        severity: 'warning',
        code: 'duplicate-mount',
        path: `${base}/volumes`,
        message: `${v.source} is mounted twice; only ${procVolumes[v.source]} is kept`,
        hint: 'mount each volume once',
        pos: s.pos,
      });
    else procVolumes[v.source] = v.target;
    if (v.readOnly)
      diagnostics.push({
        severity: 'info',
        code: 'read-only-dropped',
        path: `${base}/volumes`,
        message: `${v.source} → ${v.target} is mounted read-write: Slipway mounts have no read-only flag yet`,
        hint: 'make the files read-only in the image if it matters',
        pos: s.pos,
      });
  }

  binds.push(...fileRefBinds(s, compose, bindCtx, diagnostics));

  const p: ProcessSpec = {
    name,
    health: s.health ? toHealth(s.health, s, diagnostics) : null,
    replicas: s.replicas ?? 1,
    singleton: false,
    env,
    volumes: procVolumes,
    dependsOn: [...new Set([...s.dependsOn, ...linkedServices(s, compose)])].map(processName),
    stopTimeoutS: s.stopGracePeriodMs !== undefined ? Math.max(1, Math.ceil(s.stopGracePeriodMs / 1000)) : DEFAULT_STOP_TIMEOUT_S,
    pos: s.pos,
  };
  // Container options (user, tmpfs, restart, logging…) and labels as compose set them; the
  // entrypoint replaces the image's, as in compose.
  Object.assign(p, structuredClone(s.options ?? {}));
  if (s.entrypoint !== undefined) p.entrypoint = s.entrypoint.map((a) => rewriteHosts(a, hosts).value);
  const labels = composeLabels(s, diagnostics);
  if (labels) p.labels = { ...labels, ...p.labels };
  if (binds.length > 0) p.binds = binds;
  const conditions = Object.entries(s.dependsOnCondition ?? {}).filter(([d]) => s.dependsOn.includes(d));
  if (conditions.length > 0) p.dependsOnCondition = Object.fromEntries(conditions.map(([d, c]) => [processName(d), c]));
  if (Object.keys(externalVolumes).length > 0) p.externalVolumes = externalVolumes;
  const domains = serviceDomains(s, ctx);
  if (domains.length > 0) p.domains = domains;
  if (command !== undefined) p.command = command;
  if (s.port !== undefined) p.port = s.port;
  if (s.memory !== undefined) p.memory = s.memory;
  if (s.cpus !== undefined) p.cpus = s.cpus;
  if (s.build) {
    const context = relPath(resolve(composeDir, s.build.context), ctx.fleetDir);
    p.build = { context, dockerfile: s.build.dockerfile };
  } else if (s.image !== undefined) p.image = s.image;
  return p;
}

/** The service's labels, without those in Slipway's own `slipway.` namespace (warned about by name). */
function composeLabels(s: ComposeService, diagnostics: Diagnostic[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.labels)) {
    const ok = checkLabelKey(k);
    if (ok.ok) out[k] = v;
    else
      diagnostics.push({
        severity: 'warning',
        code: 'label-refused',
        path: `services/${s.name}/labels/${k}`,
        message: `${ok.message}; it is left out`,
        hint: ok.hint ?? '',
        pos: s.pos,
      });
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * A compose healthcheck as Slipway runs it: the test stays a command Docker runs inside the
 * container (`pg_isready`, `redis-cli ping`, `node -e …`); a curl/wget probe of the process's own
 * port also gives the HTTP path Slipway probes from outside. `NONE` and an empty test give null.
 */
function toHealth(h: ComposeHealth, s: ComposeService, diagnostics: Diagnostic[]): HealthCheck | null {
  const path = `services/${s.name}/healthcheck/test`;
  if (h.test.length === 0) {
    diagnostics.push({
      severity: 'info',
      code: 'health-from-image',
      path: `services/${s.name}/healthcheck`,
      message: `healthcheck of "${s.name}" has no test: the image's own HEALTHCHECK, if any, applies`,
      hint: 'add a test, or set health: /path under processes: in slipway.yaml',
      pos: s.pos,
    });
    return null;
  }
  if (isDisabledTest(h.test)) return null;
  const check: HealthCheck = {
    command: [...h.test],
    intervalMs: h.intervalMs ?? COMPOSE_HEALTH_DEFAULTS.intervalMs,
    timeoutMs: h.timeoutMs ?? COMPOSE_HEALTH_DEFAULTS.timeoutMs,
    retries: h.retries ?? COMPOSE_HEALTH_DEFAULTS.retries,
    startPeriodMs: h.startPeriodMs ?? COMPOSE_HEALTH_DEFAULTS.startPeriodMs,
  };
  const probe = httpProbe(h.test);
  if (!probe) return check;
  if (probe.port !== undefined && s.port !== undefined && probe.port !== s.port) {
    diagnostics.push({
      severity: 'info',
      code: 'health-port',
      path,
      message: `healthcheck of "${s.name}" probes port ${probe.port}, not the process port ${s.port}: Docker runs it inside the container, Slipway does not probe it from outside`,
      hint: 'list the probed port first under ports:/expose: to have Slipway probe it too',
      pos: s.pos,
    });
    return check;
  }
  return { ...check, path: probe.path };
}

/** Domains of a service's `x-slipway: { domains }` for this environment, `{app}`/`{env}` filled. */
function serviceDomains(s: ComposeService, ctx: ComposeProcessContext): string[] {
  const d = s.slipway?.domains;
  if (d === undefined) return [];
  const picked = typeof d === 'string' || Array.isArray(d) ? d : (d[ctx.env] ?? d.default);
  if (picked === undefined) return [];
  return (Array.isArray(picked) ? picked : [picked]).map((x) => x.replaceAll('{app}', ctx.app).replaceAll('{env}', ctx.env));
}

function relPath(abs: string, fleetDir: string): string {
  const rel = relative(resolve(fleetDir), abs);
  if (rel === '') return '.';
  if (isAbsolute(rel) || rel.startsWith('..')) return rel;
  return `./${rel}`;
}

// ---- secrets ---------------------------------------------------------------------------------

const SECRET_WORD = /(PASSWORD|PASSWD|PASS|PWD|SECRET|SECRETS|TOKEN|TOKENS|KEY|KEYS|APIKEY|SALT|CREDENTIALS)$/;

/** True for env keys that usually hold a secret: DATABASE_PASSWORD, JWT_SECRET, APP_KEYS, API_TOKEN_SALT. */
export function isSecretKey(key: string): boolean {
  const parts = key.toUpperCase().split(/[_.-]/).filter(Boolean);
  const last = parts[parts.length - 1] ?? '';
  if (parts.includes('PUBLIC') || last === 'FILE' || last === 'PATH') return false;
  return SECRET_WORD.test(last);
}

/** True for values that carry a password in a URL (`postgres://user:pw@db/app`). */
export function hasUrlPassword(value: string): boolean {
  // The scheme starts a run of scheme characters and is bounded: an unbounded `[…]*` tried at
  // every position backtracks quadratically over a long run of letters (minutes for 100 000; found
  // by the fuzzer, test/fixtures/fuzz/).
  return /(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}:\/\/[^/\s:@]*:[^/\s@]+@/.test(value);
}

/**
 * Env keys whose values look like secrets (by name, or a URL with a password), sorted. Numbers,
 * booleans and empty values are not secrets. They stay plain in the processes; `init` turns them
 * into `{ secret: NAME }` references.
 */
export function suspectedSecrets(compose: ComposeProject): string[] {
  const keys = new Set<string>();
  for (const s of compose.services)
    for (const [k, v] of Object.entries(s.environment)) {
      if (v === '' || /^(\d+(\.\d+)?|true|false)$/i.test(v)) continue;
      if (isSecretKey(k) || hasUrlPassword(v)) keys.add(k);
    }
  return [...keys].sort();
}
