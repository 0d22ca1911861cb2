// A regular expression (RE2 and JavaScript alike) matching exactly the `Authorization` header
// values whose Basic credentials name one of the given users. Caddy's http_basic compares a request
// for an unknown user against a bcrypt hash of cost 14 (its timing-attack guard), about a second of
// CPU per request; the Caddy renderer answers those requests 401 before they reach it.
//
// Go's Request.BasicAuth reads one header value: "Basic " (any case), then standard base64 of
// "user:password". Base64 turns each 3 bytes into 4 characters, so the bytes of "user:" fix the
// first characters of the encoding; in the last, partial group only some bits are fixed, which a
// character class spells out. Several header values are joined with "," by Caddy's placeholder,
// which is not a base64 character: they never match.

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const esc = (c: string): string => (c === '+' ? '\\+' : c);
const char = (i: number): string => esc(B64[i]!);
/** The `n` base64 characters from index `lo` (a multiple of `n`), as a class. */
const range = (lo: number, n: number): string => `[${Array.from({ length: n }, (_, k) => char(lo + k)).join('')}]`;

/** Pattern for the start of base64("user:" + anything). */
export function basicUserPrefix(user: string): string {
  const bytes = Buffer.from(`${user}:`, 'utf8');
  const full = bytes.length - (bytes.length % 3);
  let out = [...bytes.subarray(0, full).toString('base64')].map(esc).join('');
  const rest = bytes.subarray(full);
  const [a, b] = [rest[0] ?? 0, rest[1] ?? 0];
  if (rest.length === 1) out += char(a >> 2) + range((a & 3) << 4, 16);
  else if (rest.length === 2) out += char(a >> 2) + char(((a & 3) << 4) | (b >> 4)) + range((b & 15) << 2, 4);
  return out;
}

/** Whole-value pattern: `Basic <base64 of one of users' credentials>`. */
export function basicUsersPattern(users: readonly string[]): string {
  return `^[Bb][Aa][Ss][Ii][Cc] (?:${users.map(basicUserPrefix).join('|')})[A-Za-z0-9+/]*={0,2}$`;
}
