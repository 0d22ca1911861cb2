// Plain-text formatting for the dashboard's tables: sizes, durations and ages as people read them
// (`512 MiB`, `3d 4h`, `5 min ago`). Pure; every result is escaped by the page that shows it.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `1.5 KiB`; `null`/`undefined` → `—`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${UNITS[unit]}`;
}

/** Seconds as the two largest units: `45s`, `5m 3s`, `3h 20m`, `2d 4h`; `null` → `—`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const parts: [number, string][] = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** An age in seconds as `5m ago`, or `—`. */
export function formatAge(seconds: number | null | undefined): string {
  const d = formatDuration(seconds);
  return d === '—' ? d : `${d} ago`;
}

/** `used / total` as a whole percentage, or undefined when either is missing or the total is 0. */
export function percent(used: number | null | undefined, total: number | null | undefined): number | undefined {
  if (used === null || used === undefined || !total || total <= 0) return undefined;
  return Math.round((used / total) * 100);
}
