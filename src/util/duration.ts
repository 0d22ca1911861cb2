// Durations as written in fleet and compose files: "500ms", "10s", "1m30s", "2h". Returns ms.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return /^\d+$/.test(s) ? Number(s) * 1000 : undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

const LONG_MS: Record<string, number> = { d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };

/** Longer spans for certificates and HSTS: "30d", "2w", "1y", or anything parseDuration takes. Returns ms. */
export function parseLongDuration(text: string): number | undefined {
  const m = /^\s*(\d+)(d|w|y)\s*$/.exec(text);
  if (m) return Number(m[1]) * LONG_MS[m[2]!]!;
  return parseDuration(text);
}
