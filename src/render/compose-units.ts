// Value spellings of the compose export: byte sizes and the compose variable name of a secret.

/** Compose variable name for a secret: `pg/main/api_prod/url` -> `PG_MAIN_API_PROD_URL`. */
export function secretEnvVar(secretName: string): string {
  const v = secretName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return /^[0-9]/.test(v) || v === '' ? `S_${v}` : v;
}

/** Docker byte value with the largest exact unit: 536870912 -> `512m`. */
export function composeBytes(bytes: number): string {
  const units: [string, number][] = [
    ['g', 1024 ** 3],
    ['m', 1024 ** 2],
    ['k', 1024],
  ];
  for (const [u, n] of units) if (bytes >= n && bytes % n === 0) return `${bytes / n}${u}`;
  return `${bytes}b`;
}
