// OpenSSH known_hosts: parsing, host-pattern matching (plain, `[host]:port`, wildcards, `!negation`
// and hashed `|1|salt|hash` entries) and key fingerprints in ssh-keygen's `SHA256:…` format.
// Pure: the caller reads the file and gives us its text.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  /** `@revoked` or `@cert-authority` when the line starts with one. */
  marker?: '@revoked' | '@cert-authority';
  /** The host-pattern field as written (comma list, or one hashed `|1|…` name). */
  hosts: string;
  keyType: string;
  /** The key blob in base64, as in the file. */
  keyBase64: string;
  /** 1-based line number in the file. */
  line: number;
}

/** Parses known_hosts text; comments, blank and malformed lines are ignored (as OpenSSH does). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostEntry['marker'];
    else if (fields[0]!.startsWith('@')) return; // unknown marker
    const [hosts, keyType, keyBase64] = fields;
    if (!hosts || !keyType || !keyBase64 || !/^[A-Za-z0-9+/]+=*$/.test(keyBase64)) return;
    out.push({ ...(marker ? { marker } : {}), hosts, keyType, keyBase64, line: i + 1 });
  });
  return out;
}

/** The name a host goes by in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** `*` and `?` glob, case-insensitive, whole string. */
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(
    `^${pattern
      .toLowerCase()
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(name);
}

/** True when a hashed name `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` is `name`. */
export function hashedNameMatches(hashed: string, name: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(hashed);
  if (!m) return false;
  const salt = Buffer.from(m[1]!, 'base64');
  const want = Buffer.from(m[2]!, 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Hashes a name the way `ssh-keygen -H` does (for tests and for writing entries). */
export function hashKnownHostName(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

/**
 * True when the entry's host field matches `name` (from knownHostsName). A comma list matches
 * when some positive pattern matches and no `!pattern` does.
 */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|')) return hashedNameMatches(hosts, name);
  let positive = false;
  for (const p of hosts.split(',')) {
    if (!p) continue;
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      positive = true;
    }
  }
  return positive;
}

/** ssh-keygen's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside a public key blob (its first SSH string), e.g. `ssh-ed25519`. */
export function keyTypeOfBlob(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const n = keyBlob.readUInt32BE(0);
  if (n > 64 || 4 + n > keyBlob.length) return 'unknown';
  return keyBlob.subarray(4, 4 + n).toString('latin1');
}

/**
 * Normalizes a pinned host key: a `SHA256:…` fingerprint (padding optional), or a public key
 * (`ssh-ed25519 AAAA… [comment]`), which is turned into its fingerprint. null when neither.
 */
export function normalizeFingerprint(pin: string): string | null {
  const s = pin.trim();
  const fp = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(s);
  if (fp) return `SHA256:${fp[1]}`;
  const pub = /^(\S+)\s+([A-Za-z0-9+/]+=*)(\s.*)?$/.exec(s);
  if (pub) {
    const blob = Buffer.from(pub[2]!, 'base64');
    if (keyTypeOfBlob(blob) === pub[1]) return fingerprintSha256(blob);
  }
  return null;
}

export type KnownHostVerdict =
  /** An entry holds exactly this key. */
  | { kind: 'match'; entry: KnownHostEntry }
  /** The key is listed as `@revoked`. */
  | { kind: 'revoked'; entry: KnownHostEntry }
  /** Entries for this host hold a different key of the same type: the host key changed. */
  | { kind: 'changed'; entries: KnownHostEntry[] }
  /** Entries for this host exist, but only for other key types. */
  | { kind: 'other-type'; entries: KnownHostEntry[] }
  /** No entry for this host. */
  | { kind: 'unknown' };

/** Looks up the key a server presented for host:port among known_hosts entries. */
export function lookupKnownHost(entries: readonly KnownHostEntry[], host: string, port: number, keyBlob: Buffer): KnownHostVerdict {
  const name = knownHostsName(host, port);
  const keyB64 = keyBlob.toString('base64');
  const type = keyTypeOfBlob(keyBlob);
  const sameKey = (e: KnownHostEntry) => Buffer.from(e.keyBase64, 'base64').toString('base64') === keyB64;
  // A revoked key is refused whatever host it is listed for (OpenSSH does the same).
  const revoked = entries.find((e) => e.marker === '@revoked' && sameKey(e));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const forHost = entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, name));
  const hit = forHost.find(sameKey);
  if (hit) return { kind: 'match', entry: hit };
  const sameType = forHost.filter((e) => e.keyType === type);
  if (sameType.length > 0) return { kind: 'changed', entries: sameType };
  if (forHost.length > 0) return { kind: 'other-type', entries: forHost };
  return { kind: 'unknown' };
}

/** Key types known for host:port, in file order (to prefer them when negotiating). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [...new Set(entries.filter((e) => !e.marker && hostFieldMatches(e.hosts, name)).map((e) => e.keyType))];
}
