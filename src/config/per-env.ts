// Per-environment values: `memory: 512MiB` applies everywhere, `memory: { prod: 1GiB, default:
// 512MiB }` picks by environment. Resolution is the one place that knows the rule.

export function isPerEnvMap(v: unknown, envNames: readonly string[]): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k === 'default' || envNames.includes(k));
}

/** The value for `env`: the map's entry, else its "default", else undefined. */
export function forEnv<T>(v: T | Record<string, T> | undefined, env: string, envNames: readonly string[]): T | undefined {
  if (v === undefined) return undefined;
  if (isPerEnvMap(v, envNames)) {
    const m = v as Record<string, T>;
    return env in m ? m[env] : m.default;
  }
  return v as T;
}
