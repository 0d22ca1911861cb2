// The fleet file's backup keys, as zod types: the top-level `backups:` section (recipients,
// named destinations, default schedule, contents and retention) and an environment's `backup:`
// (false, or what differs: schedule, what, recipients, and `to:` destinations with their
// retention). Values are checked further, with positions, in normalize-backup.ts.
import { z } from 'zod';

const count = (what: string) =>
  z
    .number({ invalid_type_error: `expected a number of ${what} backups to keep` })
    .int('expected a whole number')
    .min(0, 'expected 0 or more');

export const retentionSchema = z
  .object({
    last: count('latest').optional(),
    hourly: count('hourly').optional(),
    daily: count('daily').optional(),
    weekly: count('weekly').optional(),
    monthly: count('monthly').optional(),
  })
  .strict();

const secretRef = z.object({ secret: z.string().min(1, 'expected a secret name') }).strict();
const absPath = z.string().startsWith('/', 'expected an absolute path such as /srv/backups');

export const destinationSchema = z.union(
  [
    z.object({ local: z.literal(true) }).strict(),
    z
      .object({
        sftp: z
          .object({
            host: z.string().regex(/^([^@\s]+@)?[^@\s:]+(:\d+)?$/, 'expected user@host or user@host:port'),
            path: absPath,
            host_key: z.string().optional(),
            identity: z.string().optional(),
          })
          .strict(),
      })
      .strict(),
    z
      .object({
        s3: z
          .object({
            endpoint: z.string().url('expected a URL such as https://s3.example.com').optional(),
            bucket: z.string().min(3, 'expected a bucket name'),
            region: z.string().min(1).optional(),
            prefix: z.string().optional(),
            access_key: secretRef,
            secret_key: secretRef,
            path_style: z.boolean().optional(),
          })
          .strict(),
      })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union'
        ? { message: 'expected { local: true }, { sftp: { host, path } } or { s3: { bucket, access_key, secret_key, … } }' }
        : { message: ctx.defaultError },
  },
);

const what = z.array(z.enum(['postgres', 'redis', 'volumes'], { errorMap: () => ({ message: 'expected postgres, redis or volumes' }) })).min(1);
const recipients = z.array(z.string().min(1)).min(1, 'expected at least one age recipient (age1…)');

export const backupsSchema = z
  .object({
    recipients: recipients.optional(),
    schedule: z.string().min(1).optional(),
    what: what.optional(),
    retention: retentionSchema.optional(),
    destinations: z.record(z.string(), destinationSchema).optional(),
  })
  .strict();

/** An environment's `to:`: destination names (default retention), or name → retention. */
const to = z.union([z.array(z.string().min(1)).min(1), z.record(z.string(), z.union([retentionSchema, z.literal(true)]))], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union'
      ? { message: 'expected a list of destination names, or a map destination → retention ({ daily: 7, weekly: 4 })' }
      : { message: ctx.defaultError },
});

export const envBackupSchema = z.union(
  [
    z.literal(false),
    z
      .object({
        schedule: z.string().min(1).optional(),
        what: what.optional(),
        recipients: recipients.optional(),
        to: to.optional(),
      })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union' ? { message: 'expected false (no backups) or { schedule, what, to, recipients }' } : { message: ctx.defaultError },
  },
);

export type RawBackups = z.infer<typeof backupsSchema>;
export type RawEnvBackup = z.infer<typeof envBackupSchema>;
export type RawRetention = z.infer<typeof retentionSchema>;
