// Defensive accessors over the raw (not yet validated) YAML data, so semantic checks can run
// even when the schema found problems elsewhere, and report everything in one pass.

export type RawMap = Record<string, unknown>;

export function isMap(v: unknown): v is RawMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function entries(v: unknown): [string, unknown][] {
  return isMap(v) ? Object.entries(v) : [];
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
