// `slipway backup [ENV] [--what …]`, `slipway backups [ENV]` and `slipway backup prune [ENV]
// [--dry-run]`: parse, call one backup workflow on the environment's server, print a view (or
// JSON). The workflows load on first use (age and the S3 client are not needed by other commands).
// registerBackup returns the `backup` command so that other subcommands (verify) attach to it.
import type { Command } from 'commander';
import type { BackupWhat } from '../../config/backup-policy.ts';
import { UsageError } from '../../diag/errors.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { printJson } from '../print.ts';
import { envByName } from '../targets.ts';
import { registerBackupVerify } from './backup-verify.ts';
import { renderBackupList, renderBackupOutcome, renderPrune } from '../views/backup-view.ts';

const WHAT: BackupWhat[] = ['postgres', 'redis', 'volumes'];
const ALIASES: Record<string, BackupWhat> = { db: 'postgres', postgres: 'postgres', redis: 'redis', volumes: 'volumes', media: 'volumes' };

function parseWhat(v: string | undefined): BackupWhat[] | undefined {
  if (v === undefined) return undefined;
  const out = v.split(',').map((w) => {
    const k = ALIASES[w.trim()];
    if (!k) throw new UsageError(`--what ${v}: "${w}" is not something a backup holds`, `use db (postgres), redis or volumes, comma-separated`);
    return k;
  });
  return WHAT.filter((w) => out.includes(w));
}

interface Common {
  file?: string;
  json?: boolean;
  lockWait: string;
}

export function registerBackup(program: Command, ctx: CliContext): Command {
  const backup = program
    .command('backup')
    .description(
      'Back up ENV (every environment with a backup policy when omitted): its Postgres databases, Redis DBs and app volumes, encrypted with age, to every destination of its policy',
    )
    .argument('[env]')
    .option('--what <kinds>', 'only these: db, redis, volumes (comma-separated)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--lock-wait <seconds>', 'wait this long for another operation to release the environment lock', nonNegativeNumber, '0')
    .option('--json', 'print the result as JSON')
    .action(async (envName: string | undefined, opts: Common & { what?: string }) => {
      const { fleet } = requireFleet(ctx, opts);
      const what = parseWhat(opts.what);
      const envs = envName !== undefined ? [envByName(fleet, envName)] : fleet.environments.filter((e) => e.backup);
      if (envs.length === 0) throw new UsageError('no environment has a backup policy', `add one in ${fleet.file}: backups: { recipients: [age1…] }`);
      const { runBackup, BackupIncompleteError } = await import('../../workflows/backup/run-backup.ts');
      const servers = [...new Set(envs.map((e) => e.server))];
      await withSession(ctx, fleet, servers, { json: opts.json }, async (session) => {
        const results = [];
        let failure: unknown;
        for (const env of envs) {
          try {
            const r = await runBackup(session, { env: env.name, what, lockWaitS: Number(opts.lockWait) });
            results.push(r.record);
            if (!opts.json) ctx.stdout.write(renderBackupOutcome(r.record));
          } catch (e) {
            if (!(e instanceof BackupIncompleteError)) throw e;
            results.push(e.result.record);
            if (!opts.json) ctx.stdout.write(renderBackupOutcome(e.result.record));
            failure ??= e;
          }
        }
        if (opts.json) printJson(ctx, envName !== undefined ? results[0] : results);
        if (failure) throw failure;
      });
    });

  backup
    .command('prune')
    .description(
      "Apply each destination's retention (hourly/daily/weekly/monthly) to the backups of ENV (or of every environment): the newest and the newest verified backup are always kept",
    )
    .argument('[env]')
    .option('--dry-run', 'say what would be deleted, delete nothing')
    .option('-f, --file <path>', FILE_HELP)
    .option('--lock-wait <seconds>', 'wait this long for another operation to release the environment lock', nonNegativeNumber, '0')
    .option('--json', 'print the decisions as JSON')
    .action(async (envName: string | undefined, opts: Common & { dryRun?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envName !== undefined ? envByName(fleet, envName) : undefined;
      const servers = [...new Set((env ? [env] : fleet.environments.filter((e) => e.backup)).map((e) => e.server))];
      const { pruneBackups } = await import('../../workflows/backup/prune.ts');
      await withSession(ctx, fleet, servers, { json: opts.json }, async (session) => {
        const r = await pruneBackups(session, { env: env?.name, dryRun: opts.dryRun === true, lockWaitS: Number(opts.lockWait) });
        if (opts.json) printJson(ctx, r);
        else ctx.stdout.write(renderPrune(r));
        if (r.failed.length) throw new UsageError(`prune failed in ${r.failed.map((f) => `${f.env}/${f.destination}`).join(', ')}`, 'see the warnings above');
      });
    });

  program
    .command('backups')
    .description('List the backups of ENV (or of every environment) recorded on the servers: age, size, status, where each is complete, last verification')
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: { file?: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envName !== undefined ? envByName(fleet, envName) : undefined;
      const servers = [...new Set((env ? [env] : fleet.environments).map((e) => e.server))];
      const { listBackups } = await import('../../workflows/backup/list.ts');
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const rows = await listBackups(session, { env: env?.name, now: ctx.now() });
        if (opts.json) printJson(ctx, rows);
        else ctx.stdout.write(renderBackupList(rows));
      });
    });
  registerBackupVerify(backup, ctx);
  return backup;
}
