// Rewrites compose service hostnames inside values (env vars, command arguments) to the
// per-environment alias `{app}-{env}-{process}`, what seed 002 did by hand for 14 services.
// Only whole hostnames are touched: a URL's host (never its scheme, userinfo or path), `host:port`
// (also inside a query string: `?endpoint=seaweedfs:8333&…`), a list of hosts, or a value that is
// exactly the name under a host-like key (DATABASE_HOST).
// `postgres_password`, `postgres-data`, `/var/lib/postgres` and `DATABASE_CLIENT=postgres` stay.

export interface HostRewriteResult {
  value: string;
  /** Service names left alone because they stood bare under a key that does not look like a host. */
  keptBare: string[];
}

/** A character that ends a URL's authority (host, port, userinfo). */
const NOT_AUTHORITY = /[/?#\s"'<>()[\]{}]/;
const SCHEME_CHAR = /[A-Za-z0-9+.-]/;
const AUTHORITY_REST = /^[^/?#\s"'<>()[\]{}]*/;
/** Characters that may sit right before a bare hostname (start, separators, quotes, `=`, `@`). */
const BARE_BEFORE = /[\s,;=(["'{@]/;
/** After a hostname: end, a port, a path/query, or a separator (`&` ends a query parameter). */
const HOST_AFTER = /^(?::\d+)?(?:$|[/?#\s,;&)\]}"'])/;
const PORT_AFTER = /^:\d+(?:$|[/?#\s,;&)\]}"'])/;
const BARE_AFTER = /^(?:$|[\s,;&)\]}"'])/;

/** True for keys whose value is a host (DATABASE_HOST, PGHOST, REDIS_URL, ELASTICSEARCH_HOSTS…). */
export function isHostKey(key: string): boolean {
  const k = key.toUpperCase().replace(/_NAME$/, 'NAME');
  const last = k.split(/[_.-]/).filter(Boolean).pop() ?? '';
  return /(HOST|HOSTNAME|HOSTS|ADDR|ADDRESS|SERVER|SERVERS|ENDPOINT|ENDPOINTS|URL|URLS|URI|URIS|DSN|BROKER|BROKERS|NODE|NODES|UPSTREAM|UPSTREAMS)$/.test(last);
}

/** Keys whose `name:digits` is an image tag or version, never a host:port. */
function isImageKey(key: string): boolean {
  return /(IMAGE|VERSION|TAG)$/.test(key.toUpperCase());
}

/** The service names of a compose project and the pattern that finds them, built once per project (not once per value). */
export interface HostPattern {
  map: ReadonlyMap<string, string>;
  re: RegExp;
}

export function hostPattern(map: ReadonlyMap<string, string>): HostPattern {
  const names = [...map.keys()].sort((a, b) => b.length - a.length).map(escapeRe);
  return { map, re: new RegExp(`(?<![A-Za-z0-9_.\\-])(${names.join('|')})(?![A-Za-z0-9_\\-]|\\.[A-Za-z0-9])`, 'g') };
}

/**
 * Replaces every whole-hostname occurrence of a key of `hosts` in `value` by its mapped alias.
 * `key` is the environment variable name (omit it for command arguments: then only URLs and
 * `host:port` forms are rewritten, never a bare word).
 */
export function rewriteHosts(value: string, hosts: ReadonlyMap<string, string> | HostPattern, key?: string): HostRewriteResult {
  const keptBare: string[] = [];
  const { map, re } = hosts instanceof Map ? hostPattern(hosts) : (hosts as HostPattern);
  if (map.size === 0 || value === '') return { value, keptBare };
  const hostKey = key !== undefined && isHostKey(key);
  const imageKey = key !== undefined && isImageKey(key);
  const out = value.replace(re, (match: string, _name: string, offset: number) => {
    const before = value.slice(0, offset);
    const after = value.slice(offset + match.length);
    const alias = map.get(match)!;
    if (after.startsWith('://')) return match; // a scheme: postgres://…
    const pre = authorityBefore(before);
    if (pre !== undefined) {
      const rest = AUTHORITY_REST.exec(after)![0];
      if (rest.includes('@')) return match; // userinfo: user or password
      if (pre !== '' && !pre.endsWith('@') && !pre.endsWith(',')) return match;
      return HOST_AFTER.test(after) ? alias : match;
    }
    if (before !== '' && !BARE_BEFORE.test(before.at(-1)!)) return match; // a path segment, a:b, …
    if (PORT_AFTER.test(after)) return imageKey ? match : alias;
    if (!BARE_AFTER.test(after) && !(hostKey && after.startsWith('/'))) return match;
    if (hostKey) return alias;
    if (key !== undefined) keptBare.push(match);
    return match;
  });
  return { value: out, keptBare };
}

/**
 * When `before` ends inside a URL's authority (`scheme://[user@]…`), the part of the authority
 * before the match (may be empty); otherwise undefined. Scans back from the end, so a long value
 * costs one pass per match (an end-anchored regex retried from every position was quadratic: a
 * 100 kB value took seconds per match).
 */
function authorityBefore(before: string): string | undefined {
  let i = before.length;
  while (i > 0 && !NOT_AUTHORITY.test(before[i - 1]!)) i--;
  if (i < 3 || before.slice(i - 3, i) !== '://') return undefined;
  let k = i - 3;
  let letter = false;
  while (k > 0 && SCHEME_CHAR.test(before[k - 1]!)) {
    k--;
    if (/[A-Za-z]/.test(before[k]!)) letter = true;
  }
  return letter ? before.slice(i) : undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
