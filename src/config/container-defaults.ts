// Slipway's protective container defaults for a small shared server, and how settings layer.
// When the fleet file is silent, every container gets:
// - log rotation: json-file, 10m × 3 (Docker's default json-file log grows until the disk fills);
// - a pids limit (a fork bomb or thread leak cannot exhaust the host's process table);
// - an OOM score by environment, so under memory pressure the kernel kills dev before staging
//   before prod. Protected and prod-named environments get 0, staging-like names 300, unknown
//   names 500, dev-like names 700. Every default is overridable per environment and per process.
import type { ContainerOptions, Environment, EnvironmentContainerDefaults, LogConfig } from './fleet.ts';
import { CONTAINER_OPTION_KEYS } from './fleet.ts';

export const DEFAULT_LOG_MAX_SIZE = '10m';
export const DEFAULT_LOG_MAX_FILE = '3';
export const DEFAULT_LOGGING: LogConfig = { driver: 'json-file', options: { 'max-size': DEFAULT_LOG_MAX_SIZE, 'max-file': DEFAULT_LOG_MAX_FILE } };
export const DEFAULT_PIDS_LIMIT = 1024;

export const OOM_SCORE = { prod: 0, staging: 300, other: 500, dev: 700 } as const;

const PROD_WORDS = new Set(['prod', 'production', 'live', 'main', 'master']);
const STAGING_WORDS = new Set(['staging', 'stage', 'stg', 'qual', 'qa', 'uat', 'preprod', 'acceptance', 'acc', 'demo', 'rc', 'beta', 'sandbox', 'pre']);
const DEV_WORDS = new Set(['dev', 'develop', 'development', 'test', 'testing', 'ci', 'preview', 'review', 'local', 'feature', 'alpha', 'tmp', 'scratch']);

/** The OOM score an environment gets when the fleet file sets none: lower is killed later. */
export function defaultOomScoreAdj(env: Pick<Environment, 'name' | 'protected'>): number {
  if (env.protected) return OOM_SCORE.prod;
  const words = env.name.toLowerCase().match(/[a-z]+/g) ?? [];
  if (words.some((w) => DEV_WORDS.has(w))) return OOM_SCORE.dev;
  if (words.some((w) => STAGING_WORDS.has(w))) return OOM_SCORE.staging;
  if (words.some((w) => PROD_WORDS.has(w))) return OOM_SCORE.prod;
  return OOM_SCORE.other;
}

/**
 * A logging config with rotation filled in: json-file without `max-size` gets 10m × 3 (set
 * `max-size: "-1"` to turn rotation off). Other drivers are left as written (`local` rotates by itself).
 */
export function withRotation(log: LogConfig): LogConfig {
  if (log.driver !== 'json-file') return { driver: log.driver, options: { ...log.options } };
  const options = { ...log.options };
  if (options['max-size'] === undefined) {
    options['max-size'] = DEFAULT_LOG_MAX_SIZE;
    if (options['max-file'] === undefined) options['max-file'] = DEFAULT_LOG_MAX_FILE;
  }
  return { driver: 'json-file', options };
}

// Maps merge key by key across layers; every other field is replaced by the later layer.
const MERGED_MAPS = new Set<keyof ContainerOptions>(['labels', 'sysctls', 'ulimits', 'tmpfs']);

/** Layers container options: later layers win field by field; labels, sysctls, ulimits and tmpfs merge by key. */
export function mergeContainerOptions(...layers: (ContainerOptions | undefined)[]): ContainerOptions {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const k of CONTAINER_OPTION_KEYS) {
      const v = layer[k];
      if (v === undefined) continue;
      if (MERGED_MAPS.has(k) && out[k] !== undefined) out[k] = { ...(out[k] as object), ...(v as object) };
      else out[k] = structuredClone(v);
    }
  }
  return out as ContainerOptions;
}

/** Only the ContainerOptions fields of a ProcessSpec or SharedService (they carry them flat). */
export function pickContainerOptions(o: ContainerOptions): ContainerOptions {
  const out: Record<string, unknown> = {};
  for (const k of CONTAINER_OPTION_KEYS) if (o[k] !== undefined) out[k] = o[k];
  return out as ContainerOptions;
}

/** What a scope (an environment, or a server for what serves several) gives its containers. */
export type ScopeDefaults = EnvironmentContainerDefaults & { oomScoreAdj: number };

/** An environment's defaults: its own settings, with the OOM score filled from its name when unset. */
export function envScope(env: Pick<Environment, 'name' | 'protected' | 'containers'>): ScopeDefaults {
  return { ...env.containers, oomScoreAdj: env.containers?.oomScoreAdj ?? defaultOomScoreAdj(env) };
}

/**
 * What serves several environments (a server-scoped Postgres, the proxy) is as protected as the
 * most protected of them: their lowest OOM score; logging and pids limit are Slipway's defaults.
 */
export function sharedScope(envs: readonly Pick<Environment, 'name' | 'protected' | 'containers'>[], cap?: number): ScopeDefaults {
  const scores = envs.map((e) => envScope(e).oomScoreAdj);
  if (cap !== undefined) scores.push(cap);
  return { oomScoreAdj: scores.length > 0 ? Math.min(...scores) : OOM_SCORE.prod };
}

/**
 * The options one container runs with: Slipway's defaults, then its scope's (environment), then
 * its own (process or service). Logging always has rotation filled in.
 */
export function effectiveContainerOptions(scope: ScopeDefaults, own: ContainerOptions): ContainerOptions {
  const base: ContainerOptions = { logging: DEFAULT_LOGGING, pidsLimit: DEFAULT_PIDS_LIMIT };
  const scopeLayer: ContainerOptions = { oomScoreAdj: scope.oomScoreAdj };
  if (scope.logging) scopeLayer.logging = scope.logging;
  if (scope.pidsLimit !== undefined) scopeLayer.pidsLimit = scope.pidsLimit;
  const merged = mergeContainerOptions(base, scopeLayer, pickContainerOptions(own));
  if (merged.logging) merged.logging = withRotation(merged.logging);
  return merged;
}
