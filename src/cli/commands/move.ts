// `slipway move ENV --to SERVER` and its modes (--resume, --status, --rollback, --finish): parse,
// open both sides, call one move workflow, print a view (or JSON). The move's workflows load on
// first use.
import type { Command } from 'commander';
import { UsageError } from '../../diag/errors.ts';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { IDENTITY_HELP } from '../identity-option.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { printJson } from '../print.ts';
import { envByName } from '../targets.ts';

interface MoveCliOptions {
  to?: string;
  from?: string;
  resume?: boolean;
  status?: boolean;
  rollback?: boolean;
  finish?: boolean;
  force?: boolean;
  until?: string;
  file?: string;
  identity?: string;
  json?: boolean;
  lockWait: string;
}

const UNTIL = ['preflight', 'provision', 'precopy', 'test'] as const;

export function registerMove(program: Command, ctx: CliContext): void {
  program
    .command('move')
    .description(
      'Move ENV to another server with no failed request and no lost row: preflight, provision, pre-copy (volumes, logical replication of each database), test hostnames, then a cutover with a write pause of seconds; a rollback window until --finish',
    )
    .argument('<env>')
    .option('--to <server>', 'the server ENV moves to (default: its server in the fleet file)')
    .option('--from <server>', 'the server ENV leaves (default: where it runs now)')
    .option('--resume', 'continue the move under way from the stage after the last one finished')
    .option('--until <stage>', `stop after this stage: ${UNTIL.join(', ')} (e.g. test, to look at the test hostnames first)`)
    .option('--status', 'show the stage, the replication lag, the row-count comparison and the rollback window')
    .option('--rollback', 'send ENV back to the server it came from, with the writes made since the cutover')
    .option('--finish', 'the point of no return: a last backup, then remove ENV from the old server')
    .option('--force', 'with --finish: before the stable period (move.stable) is over')
    .option('-f, --file <path>', FILE_HELP)
    .option('--identity <file>', IDENTITY_HELP)
    .option('--lock-wait <seconds>', 'wait this long for another move of ENV to finish', nonNegativeNumber, '0')
    .option('--json', 'print the result as JSON')
    .action(async (envName: string, opts: MoveCliOptions) => {
      const { fleet } = requireFleet(ctx, opts);
      envByName(fleet, envName);
      const modes = (['resume', 'status', 'rollback', 'finish'] as const).filter((m) => opts[m]);
      if (modes.length > 1) throw new UsageError(`--${modes.join(' and --')} cannot be combined`, 'give one of --resume, --status, --rollback, --finish');
      if (opts.force && !opts.finish) throw new UsageError('--force applies only to --finish', 'slipway move ENV --finish --force');
      if (opts.until !== undefined && !(UNTIL as readonly string[]).includes(opts.until))
        throw new UsageError(`--until ${opts.until}: not a stage that can be stopped after`, `give one of: ${UNTIL.join(', ')}`);
      const mode = modes[0];
      if (!mode && opts.to === undefined && fleet.environments.find((e) => e.name === envName)?.server === undefined)
        throw new UsageError('name the target with --to SERVER', 'slipway move ENV --to SERVER');
      const { openMove } = await import('../../workflows/move/move-session.ts');
      const run = await import('../../workflows/move/move-run.ts');
      const view = await import('../views/move-view.ts');
      const sides = await openMove(
        ctx,
        fleet,
        { env: envName, ...(opts.to ? { to: opts.to } : {}), ...(opts.from ? { from: opts.from } : {}) },
        { ...(opts.json ? { json: true } : {}), ...(opts.identity ? { identity: opts.identity } : {}) },
      );
      try {
        const o = { lockWaitS: Number(opts.lockWait), ...(ctx.env.SLIPWAY_TEST_KILL_AT ? { killAt: ctx.env.SLIPWAY_TEST_KILL_AT } : {}) };
        if (mode === 'status') {
          const s = await run.moveStatus(sides);
          if (opts.json) printJson(ctx, s);
          else ctx.stdout.write(view.renderMoveStatus(s, ctx.now()));
          return;
        }
        const r =
          mode === 'rollback'
            ? await run.rollbackMove(sides, o)
            : mode === 'finish'
              ? await run.finishMove(sides, { ...o, force: opts.force === true })
              : await run.runMove(sides, { ...o, ...(opts.until ? { until: opts.until as (typeof UNTIL)[number] } : {}) }, mode === 'resume');
        if (opts.json) printJson(ctx, { ...r, steps: [...sides.src.report.steps, ...sides.dst.report.steps] });
        else ctx.stdout.write(view.renderMoveResult(r, ctx.now()));
      } finally {
        await sides.close();
      }
    });
}
