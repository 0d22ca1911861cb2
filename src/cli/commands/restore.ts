// `slipway restore ENV --from ID|--latest` and `slipway restore SRC --into DST [--from ID|--latest]
// [--scrub FILE.sql]`: checks everything first (nothing changes on a bad input), shows what will be
// replaced, asks on a terminal unless --yes (without a terminal --yes is required), then restores
// under DST's lock after a pre-restore backup, and names that backup so the restore can be undone.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../diag/errors.ts';
import { formatSize } from '../../util/size.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { fmtMs } from '../../workflows/reporter.ts';
import { requireIdentities } from '../../workflows/secrets-file-identity.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { requireFleet } from '../fleet-input.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { printJson } from '../print.ts';
import { envByName } from '../targets.ts';

interface RestoreOpts {
  file?: string;
  into?: string;
  from?: string;
  latest?: boolean;
  scrub?: string;
  identity?: string;
  yes?: boolean;
  lockWait: string;
  json?: boolean;
}

export function registerRestore(program: Command, ctx: CliContext): void {
  program
    .command('restore')
    .description(
      "Restore a backup of ENV in place (--from ID), or copy it into another environment (--into DST, optionally --scrub FILE.sql): its databases, Redis DBs and volumes replace the target's, after a pre-restore backup of the target, with its apps in maintenance",
    )
    .argument('<env>', 'the environment whose backup is restored')
    .option('--into <env>', 'restore into this environment instead (its own database user owns the result; default backup: the latest ok)')
    .option('--from <id>', 'the backup to restore (slipway backups ENV lists them)')
    .option('--latest', 'the newest ok backup')
    .option('--scrub <file.sql>', "with --into: SQL run in the restored database as the target's own user before its apps come back")
    .option('--identity <file>', 'age identity that decrypts the backup (default: $SLIPWAY_AGE_IDENTITY_FILE, else the key in $SLIPWAY_AGE_KEY)')
    .option('-y, --yes', 'do not ask for confirmation (required when standard input is not a terminal)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--lock-wait <seconds>', "wait this long for another operation to release the target environment's lock", nonNegativeNumber, '0')
    .option('--json', 'print the result as JSON')
    .action(async (envName: string, opts: RestoreOpts, cmd: Command) => {
      const { fleet } = requireFleet(ctx, opts);
      if (opts.from !== undefined && opts.latest) throw new UsageError('give either --from ID or --latest, not both', `slipway restore ${envName} --from ID`);
      if (opts.into === undefined && opts.from === undefined && !opts.latest)
        throw new UsageError(`name the backup of ${envName} to restore: --from ID, or --latest`, `list them with: slipway backups ${envName}`);
      if (opts.scrub !== undefined && opts.into === undefined)
        throw new UsageError('--scrub is for a copy into another environment', `slipway restore ${envName} --into ENV --scrub ${opts.scrub}`);
      if (opts.into !== undefined && opts.into === envName)
        throw new UsageError(`--into ${envName} is the environment itself`, `restore it in place with: slipway restore ${envName} --from ID`);
      const source = envByName(fleet, envName);
      const target = opts.into !== undefined ? envByName(fleet, opts.into) : source;
      let scrub: { path: string; sql: string } | undefined;
      if (opts.scrub !== undefined) {
        try {
          scrub = { path: opts.scrub, sql: readFileSync(resolve(ctx.cwd, opts.scrub), 'utf8') };
        } catch (e) {
          throw new UsageError(
            `cannot read the scrub file ${opts.scrub}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            'give the path of a .sql file',
          );
        }
        if (!scrub.sql.trim())
          throw new UsageError(`the scrub file ${opts.scrub} is empty`, 'give the SQL that removes what must not leave the source environment');
      }
      const identities = await requireIdentities({ identityFile: opts.identity, env: ctx.env, cwd: ctx.cwd }, 'restore (to decrypt the backup)');
      const ropts = {
        source: source.name,
        target: target.name,
        ...(opts.from !== undefined ? { from: opts.from } : { latest: true }),
        ...(scrub ? { scrub } : {}),
        identities,
        lockWaitS: Number(opts.lockWait),
      };
      const t0 = ctx.now();
      const { planRestore, applyRestore, closePlan, describeItem } = await import('../../workflows/backup/restore.ts');
      const servers = [...new Set([source.server, target.server])];
      await withSession(ctx, fleet, servers, { json: opts.json ?? false }, async (session) => {
        const plan = await planRestore(session, ropts);
        const summary = [
          `Restore backup ${plan.backup.id} of ${plan.source} (${plan.backup.startedAt}, ${formatSize(plan.backup.bytes)}, read from ${plan.readFrom})`,
          `into ${plan.target} on ${plan.targetServer}, replacing:`,
          ...plan.items.map((i) => `  ${describeItem(i)}`),
          ...(plan.scrub ? [`then scrub with ${plan.scrub} before the apps come back`] : []),
          `A backup of ${plan.target} is taken first; its apps are in maintenance and stopped meanwhile.`,
          '',
        ].join('\n');
        if (!opts.json) ctx.stdout.write(summary);
        if (!opts.yes) {
          if (!ctx.confirm) {
            await closePlan(plan);
            throw new UsageError(
              `refusing to replace the data of ${plan.target} without confirmation: standard input is not a terminal`,
              opts.json ? 'add --yes to carry it out' : 'what would be replaced is shown above; add --yes to carry it out',
            );
          }
          if (!(await ctx.confirm(`Replace the data of ${plan.target}?`))) {
            await closePlan(plan);
            ctx.stderr.write('Nothing was done.\n');
            return setExit(cmd, 1);
          }
        }
        const r = await applyRestore(session, plan, ropts);
        if (opts.json) return printJson(ctx, { ok: true, ...r, durationMs: ctx.now() - t0, steps: session.report.steps });
        const lines = [
          `Restored backup ${r.backup} of ${r.source} into ${r.target} in ${fmtMs(ctx.now() - t0)}:`,
          ...r.restored.map((x) => `  ${x.kind} ${x.name}: ${x.detail} (${fmtMs(x.ms)})`),
          ...(r.scrub ? [`  scrubbed with ${r.scrub}`] : []),
          `Pre-restore backup of ${r.target}: ${r.preRestoreBackup}${r.preRestoreStatus !== 'ok' ? ` (${r.preRestoreStatus})` : ''}; undo with: slipway restore ${r.target} --from ${r.preRestoreBackup}`,
          '',
        ];
        ctx.stdout.write(lines.join('\n'));
      });
    });
}
