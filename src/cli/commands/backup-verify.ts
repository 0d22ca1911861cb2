// `slipway backup verify [ID|--latest] [ENV]`: parse, call the verify workflow on the
// environment's server, print the per-object outcome (or JSON). Ctrl-C (SIGINT/SIGTERM) aborts it:
// the throwaway containers are removed before the process exits; a second Ctrl-C exits at once.
import type { Command } from 'commander';
import { isBackupId } from '../../backup/layout.ts';
import type { Fleet } from '../../config/fleet.ts';
import { UsageError } from '../../diag/errors.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { requireFleet } from '../fleet-input.ts';
import { FILE_HELP } from '../option-values.ts';
import { printJson } from '../print.ts';
import { envByName } from '../targets.ts';
import { renderVerify } from '../views/backup-verify-view.ts';

interface VerifyOpts {
  file?: string;
  json?: boolean;
  latest?: boolean;
  from?: string;
  identity?: string;
}

/** [ID] [ENV], [ENV], or nothing: which backup of which environment. */
export function verifyTarget(fleet: Fleet, a: string | undefined, b: string | undefined, latest: boolean): { env: string; id?: string } {
  let id: string | undefined;
  let envName: string | undefined;
  if (a !== undefined && isBackupId(a)) {
    id = a;
    envName = b;
  } else {
    if (b !== undefined) throw new UsageError(`"${a}" is not a backup id (such as 20250101T030000Z-1a2b)`, 'slipway backups ENV lists the ids');
    envName = a;
  }
  if (id !== undefined && latest) throw new UsageError('give a backup ID or --latest, not both');
  if (envName !== undefined) return { env: envByName(fleet, envName).name, ...(id ? { id } : {}) };
  const withPolicy = fleet.environments.filter((e) => e.backup);
  if (withPolicy.length === 1) return { env: withPolicy[0]!.name, ...(id ? { id } : {}) };
  throw new UsageError(
    withPolicy.length === 0 ? 'no environment has a backup policy' : `which environment? ${withPolicy.map((e) => e.name).join(', ')} have backups`,
    'slipway backup verify [ID|--latest] ENV',
  );
}

export function registerBackupVerify(backup: Command, ctx: CliContext): Command {
  return backup
    .command('verify')
    .description(
      'Prove a backup restorable: restore it into throwaway containers on the environment’s server (Postgres of the same major version, Redis), compare every table’s row count and checksum, the Redis keys and every volume file’s sha256 with the manifest, record the result, remove the throwaways',
    )
    .argument('[id]', 'backup id (default: the newest complete backup, as with --latest)')
    .argument('[env]', 'environment (default: the only one with a backup policy)')
    .option('--latest', 'the newest complete (ok or partial) backup')
    .option('--from <destination>', 'read it from this destination (default: the first in the policy that holds it complete)')
    .option('--identity <file>', 'age identity file to decrypt with (default: $SLIPWAY_AGE_IDENTITY_FILE, else the key in $SLIPWAY_AGE_KEY)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (a: string | undefined, b: string | undefined, opts: VerifyOpts, cmd: Command) => {
      const { fleet } = requireFleet(ctx, opts);
      const target = verifyTarget(fleet, a, b, opts.latest === true);
      const env = envByName(fleet, target.env);
      const { verifyBackup, VerifyFailedError } = await import('../../workflows/backup/verify.ts');
      const abort = new AbortController();
      const onSignal = () => {
        ctx.stderr.write('interrupted: removing the throwaway containers …\n');
        abort.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await withSession(ctx, fleet, [env.server], { json: opts.json }, async (session) => {
          try {
            const r = await verifyBackup(session, {
              env: env.name,
              ...(target.id ? { id: target.id } : {}),
              ...(opts.from !== undefined ? { from: opts.from } : {}),
              identity: { env: ctx.env, cwd: ctx.cwd, ...(opts.identity !== undefined ? { identityFile: opts.identity } : {}) },
              signal: abort.signal,
            });
            if (opts.json) printJson(ctx, r);
            else ctx.stdout.write(renderVerify(r));
          } catch (e) {
            if (!(e instanceof VerifyFailedError)) throw e;
            // One JSON document: the result with the error beside it, exit 1.
            if (opts.json) {
              printJson(ctx, { ok: false, error: e.message, hint: e.hint, ...e.result });
              setExit(cmd, 1);
              return;
            }
            ctx.stdout.write(renderVerify(e.result));
            throw e;
          }
        });
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}
