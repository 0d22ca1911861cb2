// The fleet file's `tls:` (fleet-wide defaults), an environment's `tls:`, and `dns:` (the zones
// Slipway manages records in), as zod types over the raw YAML. Normalized in normalize-tls.ts.
import { z } from 'zod';
import { parseLongDuration } from '../util/duration.ts';

const secretRef = z.object({ secret: z.string().min(1, 'expected a secret name') }).strict();
const days = z.string().refine((v) => parseLongDuration(v) !== undefined, { message: 'expected a duration such as 30d, 2w or 720h' });

const acme = z
  .object({
    directory: z
      .string()
      .refine((v) => v === 'letsencrypt' || v === 'letsencrypt-staging' || /^https:\/\/[^\s/]+/.test(v), {
        message: 'expected letsencrypt, letsencrypt-staging or the https:// URL of an ACME directory',
      })
      .optional(),
    email: z
      .string()
      .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'expected a contact email address')
      .optional(),
    ca_root: z.string().min(1, 'expected the path of a PEM file').optional(),
  })
  .strict();

const hsts = z.union([
  z.boolean(),
  z
    .object({
      max_age: z.string().refine((v) => parseLongDuration(v) !== undefined, { message: 'expected a duration such as 1y, 180d or 3600s' }),
      include_subdomains: z.boolean().optional(),
      preload: z.boolean().optional(),
    })
    .strict(),
]);

const tlsMode = z.enum(['auto', 'off', 'internal'], { errorMap: () => ({ message: 'expected auto, off or internal' }) });
const challenge = z.enum(['http', 'dns'], { errorMap: () => ({ message: 'expected http (HTTP-01) or dns (DNS-01)' }) });

const tlsOptions = {
  acme: acme.optional(),
  challenge: challenge.optional(),
  renew_before: days.optional(),
  redirect: z.boolean().optional(),
  hsts: hsts.optional(),
};

/** Fleet-wide `tls:`: defaults for every environment. */
export const fleetTlsSchema = z.object(tlsOptions).strict();

/** An environment's `tls:`: a mode, or the mode with its own options (and certificate files from secrets). */
export const envTlsSchema = z.union(
  [
    tlsMode,
    z.object({ mode: z.enum(['auto', 'off', 'internal', 'files']).optional(), ...tlsOptions, cert: secretRef.optional(), key: secretRef.optional() }).strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union'
        ? { message: 'expected auto, off, internal, or a map such as { mode: auto, challenge: dns } or { cert: { secret: NAME }, key: { secret: NAME } }' }
        : { message: ctx.defaultError },
  },
);

const ttl = z
  .number({ invalid_type_error: 'expected a TTL in seconds' })
  .int('expected a whole number of seconds')
  .min(1, 'expected a TTL of at least 1 second')
  .max(2147483647, 'expected a TTL below 2^31 seconds');

const rfc2136 = z
  .object({
    provider: z.literal('rfc2136'),
    server: z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+)(:\d{1,5})?$/, "expected host or host:port of the zone's primary server"),
    key: z
      .object({
        name: z.string().min(1, 'expected the TSIG key name'),
        algorithm: z
          .enum(['hmac-sha256', 'hmac-sha512', 'hmac-sha1'], { errorMap: () => ({ message: 'expected hmac-sha256, hmac-sha512 or hmac-sha1' }) })
          .optional(),
        secret: secretRef,
      })
      .strict(),
    ttl: ttl.optional(),
  })
  .strict();

const cloudflare = z
  .object({
    provider: z.literal('cloudflare'),
    token: secretRef,
    api: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'expected the URL of the API')
      .optional(),
    ttl: ttl.optional(),
  })
  .strict();

export const dnsZoneSchema = z.discriminatedUnion('provider', [rfc2136, cloudflare], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union_discriminator' ? { message: 'expected provider: rfc2136 or provider: cloudflare' } : { message: ctx.defaultError },
});

export const dnsSchema = z.record(z.string(), dnsZoneSchema);

export type RawFleetTls = z.infer<typeof fleetTlsSchema>;
export type RawEnvTls = z.infer<typeof envTlsSchema>;
export type RawDnsZone = z.infer<typeof dnsZoneSchema>;
