// `tls:` (fleet-wide and per environment), `dns:` and a server's `address:` → their normalized
// forms (fleet.ts). Values the schema cannot judge alone (a missing CA file, a mode `files`
// without its key, an address that is not an IP) become diagnostics at their key.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { parseLongDuration } from '../util/duration.ts';
import { type AcmeSettings, type DnsZone, LETSENCRYPT, LETSENCRYPT_STAGING, type TlsSettings } from './fleet.ts';
import type { Diagnostic } from '../diag/diagnostic.ts';
import type { YamlSource } from './yaml-source.ts';
import type { RawDnsZone, RawEnvTls, RawFleetTls } from './tls-schema.ts';

/** What these functions need of normalize's context. */
interface NormalizeContext {
  src: YamlSource;
  diagnostics: Diagnostic[];
}

const DAY_MS = 86_400_000;
export const DEFAULT_RENEW_BEFORE_DAYS = 30;
export const DEFAULT_DNS_TTL = 300;
const HSTS_DEFAULT_S = 365 * 86_400;

type Options = NonNullable<RawFleetTls>;

function acmeSettings(raw: Options['acme'], fallback: AcmeSettings | undefined, path: string[], ctx: NormalizeContext): AcmeSettings {
  const base = fallback ?? { directory: LETSENCRYPT };
  if (!raw) return base;
  const dir = raw.directory;
  const directory = dir === undefined ? base.directory : dir === 'letsencrypt' ? LETSENCRYPT : dir === 'letsencrypt-staging' ? LETSENCRYPT_STAGING : dir;
  const out: AcmeSettings = { directory };
  const email = raw.email ?? base.email;
  if (email !== undefined) out.email = email;
  if (raw.ca_root !== undefined) {
    const file = resolve(dirname(resolve(ctx.src.file)), raw.ca_root);
    if (!existsSync(file))
      ctx.diagnostics.push({
        severity: 'error',
        code: 'tls-ca-root-missing',
        path: [...path, 'ca_root'].join('/'),
        message: `no CA certificate at ${file}`,
        hint: "ca_root names a PEM file, relative to the fleet file, that the ACME directory's HTTPS certificate chains to (only for a private CA such as pebble)",
        pos: ctx.src.posOf([...path, 'ca_root']),
      });
    out.caRoot = file;
  } else if (base.caRoot !== undefined) out.caRoot = base.caRoot;
  return out;
}

function hstsOf(raw: Options['hsts'], fallback: TlsSettings['hsts']): TlsSettings['hsts'] {
  if (raw === undefined) return fallback;
  if (raw === false) return null;
  if (raw === true) return { maxAgeS: HSTS_DEFAULT_S, includeSubdomains: false, preload: false };
  return {
    maxAgeS: Math.round((parseLongDuration(raw.max_age) ?? HSTS_DEFAULT_S * 1000) / 1000),
    includeSubdomains: raw.include_subdomains ?? false,
    preload: raw.preload ?? false,
  };
}

/** The fleet-wide defaults (`tls:` at the top). */
export function fleetTlsDefaults(raw: RawFleetTls | undefined, ctx: NormalizeContext): TlsSettings {
  return {
    mode: 'auto',
    challenge: raw?.challenge ?? 'http',
    acme: acmeSettings(raw?.acme, undefined, ['tls', 'acme'], ctx),
    renewBeforeDays: raw?.renew_before !== undefined ? Math.max(1, Math.round((parseLongDuration(raw.renew_before) ?? 0) / DAY_MS)) : DEFAULT_RENEW_BEFORE_DAYS,
    redirect: raw?.redirect ?? true,
    hsts: hstsOf(raw?.hsts, null),
  };
}

/** An environment's TLS: its own `tls:` over the fleet-wide defaults. */
export function envTls(env: string, raw: RawEnvTls | undefined, defaults: TlsSettings, ctx: NormalizeContext): TlsSettings {
  if (raw === undefined) return { ...defaults, acme: { ...defaults.acme } };
  if (typeof raw === 'string') return { ...defaults, acme: { ...defaults.acme }, mode: raw };
  const path = ['environments', env, 'tls'];
  const hasFiles = raw.cert !== undefined || raw.key !== undefined;
  const mode = raw.mode ?? (hasFiles ? 'files' : 'auto');
  const out: TlsSettings = {
    mode,
    challenge: raw.challenge ?? defaults.challenge,
    acme: acmeSettings(raw.acme, defaults.acme, [...path, 'acme'], ctx),
    renewBeforeDays: raw.renew_before !== undefined ? Math.max(1, Math.round((parseLongDuration(raw.renew_before) ?? 0) / DAY_MS)) : defaults.renewBeforeDays,
    redirect: raw.redirect ?? defaults.redirect,
    hsts: hstsOf(raw.hsts, defaults.hsts),
  };
  if (mode === 'files') {
    if (raw.cert === undefined || raw.key === undefined)
      ctx.diagnostics.push({
        severity: 'error',
        code: 'tls-files-incomplete',
        path: path.join('/'),
        message: `environment "${env}" takes its certificate from secrets but names only the ${raw.cert === undefined ? 'key' : 'certificate'}`,
        hint: 'give both: tls: { cert: { secret: NAME }, key: { secret: NAME } }',
        pos: ctx.src.posOf(path),
      });
    else out.files = { cert: raw.cert.secret, key: raw.key.secret };
  } else if (hasFiles)
    ctx.diagnostics.push({
      severity: 'error',
      code: 'tls-files-unused',
      path: path.join('/'),
      message: `environment "${env}" names a certificate from secrets but its tls mode is ${mode}`,
      hint: 'remove mode (cert and key imply mode files), or remove cert and key',
      pos: ctx.src.posOf(path),
    });
  return out;
}

/** `address:` of a server: every entry must be an IP address (records point at it). */
export function serverAddresses(server: string, raw: string | string[] | undefined, ctx: NormalizeContext): string[] {
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  list.forEach((a, i) => {
    if (isIP(a.trim()) === 0) {
      const path = ['servers', server, 'address', ...(Array.isArray(raw) ? [i] : [])];
      ctx.diagnostics.push({
        severity: 'error',
        code: 'bad-address',
        path: path.join('/'),
        message: `"${a}" is not an IPv4 or IPv6 address`,
        hint: 'give the public IP address the server answers on (DNS records point at it), e.g. 203.0.113.10',
        pos: ctx.src.posOf(path),
      });
    } else out.push(a.trim().toLowerCase());
  });
  return out;
}

const ZONE_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** `dns:`: one entry per zone. */
export function dnsZones(raw: Record<string, RawDnsZone> | undefined, ctx: NormalizeContext): DnsZone[] {
  const out: DnsZone[] = [];
  for (const [name, z] of Object.entries(raw ?? {})) {
    const zone = name.toLowerCase().replace(/\.$/, '');
    const pos = ctx.src.posOf(['dns', name]);
    if (!ZONE_RE.test(zone)) {
      ctx.diagnostics.push({
        severity: 'error',
        code: 'bad-zone',
        path: `dns/${name}`,
        message: `"${name}" is not a DNS zone name`,
        hint: 'name the zone as its SOA does, e.g. example.com',
        pos,
      });
      continue;
    }
    const ttl = z.ttl ?? DEFAULT_DNS_TTL;
    if (z.provider === 'rfc2136') {
      const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(z.server)!;
      const port = m[3] ? Number(m[3]) : 53;
      if (port < 1 || port > 65535)
        ctx.diagnostics.push({
          severity: 'error',
          code: 'bad-type',
          path: `dns/${name}/server`,
          message: `port ${port} is out of range`,
          hint: 'use a port between 1 and 65535 (53 by default)',
          pos: ctx.src.posOf(['dns', name, 'server']),
        });
      out.push({
        zone,
        provider: {
          kind: 'rfc2136',
          host: m[1] ?? m[2]!,
          port,
          keyName: z.key.name.toLowerCase().replace(/\.$/, ''),
          algorithm: z.key.algorithm ?? 'hmac-sha256',
          secret: z.key.secret.secret,
        },
        ttl,
        pos,
      });
    } else out.push({ zone, provider: { kind: 'cloudflare', token: z.token.secret, ...(z.api ? { api: z.api } : {}) }, ttl, pos });
  }
  // Longest zone first: the zone that holds a host is the longest suffix.
  return out.sort((a, b) => b.zone.length - a.zone.length || a.zone.localeCompare(b.zone));
}
