// Backup policy, raw → normalized, per environment (config/backup-policy.ts): the top-level
// `backups:` gives recipients, destinations and defaults; each environment inherits them unless it
// says `backup: false`, and may change schedule, what, recipients and `to:`. Without a top-level
// section an environment has no backups unless it declares them. Problems (bad cron, unknown
// destination, no recipient, a recipient that is not an age public key) are diagnostics with positions.
import { CronExpressionParser } from 'cron-parser';
import type { Diagnostic } from '../diag/diagnostic.ts';
import { didYouMean } from '../util/did-you-mean.ts';
import type { BackupDestination, BackupPolicy, BackupWhat, DestinationConfig, Retention } from './backup-policy.ts';
import type { RawBackups, RawEnvBackup, RawRetention } from './backup-schema.ts';
import type { PathPart, YamlSource } from './yaml-source.ts';

export const DEFAULT_SCHEDULE = '0 3 * * *';
export const DEFAULT_RETENTION: Retention = { last: 0, hourly: 0, daily: 7, weekly: 4, monthly: 6 };
const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{20,}$/;

interface Ctx {
  src: YamlSource;
  diagnostics: Diagnostic[];
}

function err(ctx: Ctx, code: string, path: PathPart[], message: string, hint?: string): void {
  ctx.diagnostics.push({ severity: 'error', code, path: path.join('/'), message, ...(hint ? { hint } : {}), pos: ctx.src.posOf(path) });
}

/** A cron expression of 5 fields (6 with seconds) or an @alias, or the reason it is not one. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim().startsWith('@') && (fields.length < 5 || fields.length > 6))
    return `"${expr}" has ${fields.length} fields; a cron schedule has 5 (minute hour day month weekday)`;
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' });
    return undefined;
  } catch (e) {
    return `"${expr}" is not a cron schedule: ${(e as Error).message}`;
  }
}

/** The next time a schedule fires after `from` (UTC). */
export function nextRun(schedule: string, from: Date): Date {
  return CronExpressionParser.parse(schedule, { tz: 'UTC', currentDate: from }).next().toDate();
}

function retention(r: RawRetention | true | undefined, fallback: Retention): Retention {
  if (r === undefined || r === true) return { ...fallback };
  return { last: r.last ?? 0, hourly: r.hourly ?? 0, daily: r.daily ?? 0, weekly: r.weekly ?? 0, monthly: r.monthly ?? 0 };
}

function destinationConfig(raw: NonNullable<RawBackups['destinations']>[string]): DestinationConfig {
  if ('local' in raw) return { kind: 'local' };
  if ('sftp' in raw) {
    const m = /^(?:([^@]+)@)?([^:]+)(?::(\d+))?$/.exec(raw.sftp.host)!;
    return {
      kind: 'sftp',
      user: m[1] ?? 'root',
      host: m[2]!,
      port: m[3] ? Number(m[3]) : 22,
      path: raw.sftp.path.replace(/\/+$/, '') || '/',
      ...(raw.sftp.host_key ? { hostKey: raw.sftp.host_key } : {}),
      ...(raw.sftp.identity ? { identity: raw.sftp.identity } : {}),
    };
  }
  const s = raw.s3;
  const prefix = s.prefix ? `${s.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  return {
    kind: 's3',
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    bucket: s.bucket,
    region: s.region ?? 'us-east-1',
    prefix: prefix === '/' ? '' : prefix,
    accessKeySecret: s.access_key.secret,
    secretKeySecret: s.secret_key.secret,
    forcePathStyle: s.path_style ?? s.endpoint !== undefined,
  };
}

/** Checks the top-level section once (recipients, schedule, destination names). */
export function checkBackupsSection(raw: RawBackups | undefined, ctx: Ctx): void {
  if (!raw) return;
  checkRecipients(raw.recipients, ['backups', 'recipients'], ctx);
  if (raw.schedule !== undefined) checkSchedule(raw.schedule, ['backups', 'schedule'], ctx);
  for (const name of Object.keys(raw.destinations ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(name))
      err(ctx, 'bad-name', ['backups', 'destinations', name], `destination name "${name}" is not valid`, 'use lowercase letters, digits and dashes');
    const d = raw.destinations![name]!;
    if (name === 'local' && !('local' in d))
      err(
        ctx,
        'bad-destination',
        ['backups', 'destinations', name],
        '"local" is the built-in destination (the server itself)',
        'give this destination another name',
      );
  }
}

function checkRecipients(list: string[] | undefined, path: PathPart[], ctx: Ctx): void {
  (list ?? []).forEach((r, i) => {
    if (!AGE_RECIPIENT.test(r))
      err(
        ctx,
        'bad-recipient',
        [...path, i],
        `"${r.slice(0, 24)}" is not an age public key`,
        'give recipients as age1… public keys (age-keygen -y key.txt prints one); never a private key',
      );
  });
}

function checkSchedule(s: string, path: PathPart[], ctx: Ctx): void {
  const problem = cronProblem(s);
  if (problem) err(ctx, 'bad-schedule', path, problem, 'for example "0 3 * * *" (every day at 03:00 UTC) or "0 * * * *" (every hour)');
}

/** The policy of one environment, or null when it has no backups. */
export function normalizeBackup(env: string, raw: RawEnvBackup | undefined, top: RawBackups | undefined, ctx: Ctx): BackupPolicy | null {
  if (raw === false) return null;
  if (raw === undefined && top === undefined) return null;
  const base: PathPart[] = ['environments', env, 'backup'];
  const declared: Record<string, DestinationConfig> = { local: { kind: 'local' } };
  for (const [name, d] of Object.entries(top?.destinations ?? {})) declared[name] = destinationConfig(d);
  const fallback = top?.retention ? retention(top.retention, DEFAULT_RETENTION) : DEFAULT_RETENTION;

  const recipients = raw?.recipients ?? top?.recipients ?? [];
  if (raw?.recipients) checkRecipients(raw.recipients, [...base, 'recipients'], ctx);
  if (recipients.length === 0)
    err(
      ctx,
      'missing-recipients',
      raw ? base : ['backups'],
      `backups of ${env} have no age recipient to encrypt to`,
      'add "recipients: [age1…]" under backups: (or under this environment\'s backup:); the private key stays on the operators\' machines',
    );
  const schedule = raw?.schedule ?? top?.schedule ?? DEFAULT_SCHEDULE;
  if (raw?.schedule !== undefined) checkSchedule(raw.schedule, [...base, 'schedule'], ctx);

  const destinations: BackupDestination[] = [];
  const to = raw?.to;
  const wanted: [string, RawRetention | true | undefined][] =
    to === undefined
      ? Object.keys(top?.destinations ?? {}).length
        ? Object.keys(top!.destinations!).map((n) => [n, undefined])
        : [['local', undefined]]
      : Array.isArray(to)
        ? to.map((n) => [n, undefined])
        : Object.entries(to);
  for (const [name, r] of wanted) {
    const config = declared[name];
    if (!config) {
      const guess = didYouMean(name, Object.keys(declared));
      err(
        ctx,
        'unknown-reference',
        Array.isArray(to) ? [...base, 'to', to.indexOf(name)] : [...base, 'to', name],
        `backup destination "${name}" is not declared`,
        guess ? `did you mean "${guess}"?` : `declare it under backups: destinations: (declared: ${Object.keys(declared).join(', ')})`,
      );
      continue;
    }
    destinations.push({ name, config, retention: retention(r, fallback) });
  }
  const what: BackupWhat[] = raw?.what ?? top?.what ?? ['postgres', 'redis', 'volumes'];
  return { schedule, what: [...new Set(what)], recipients, destinations };
}
