// `slipway down ENV` / `slipway down --all`: remove environments (or the whole project) from their
// servers — containers, networks, routes, Redis DBs and databases; data (volumes, databases,
// Redis DBs) is kept unless --destroy-data. Shows the plan, then asks on a terminal unless --yes;
// without a terminal, --yes is required.
import type { Command } from 'commander';
import { UsageError } from '../../diag/errors.ts';
import { summarize } from '../../plan/diff/diff.ts';
import type { Plan } from '../../plan/diff/plan.ts';
import { applyDown, planDown, type DownPlan } from '../../workflows/down.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { fmtMs } from '../../workflows/reporter.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { requireFleet } from '../fleet-input.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { printJson } from '../print.ts';
import { renderApplied } from '../views/apply-view.ts';
import { renderPlan } from '../views/plan-view.ts';

interface DownOpts {
  file?: string;
  all?: boolean;
  yes?: boolean;
  destroyData?: boolean;
  lockWait: string;
  json?: boolean;
}

export function registerDown(program: Command, ctx: CliContext): void {
  program
    .command('down')
    .description(
      'Remove an environment (or --all: the whole project) from its servers: containers, networks, routes, databases and Redis DBs; data kept unless --destroy-data',
    )
    .argument('[env]', 'the environment to remove')
    .option('-f, --file <path>', FILE_HELP)
    .option('--all', 'remove every environment of the project, with the proxy and shared services')
    .option('--destroy-data', 'also delete their volumes, drop their databases and flush their Redis DBs (the data is lost)')
    .option('-y, --yes', 'do not ask for confirmation (required when standard input is not a terminal)')
    .option('--lock-wait <seconds>', 'wait this long for deploys holding the environment locks', nonNegativeNumber, '0')
    .option('--json', 'print the plan and the result as JSON')
    .action(async (env: string | undefined, opts: DownOpts, cmd: Command) => {
      if (!env && !opts.all) throw new UsageError('name the environment to remove, or pass --all', 'slipway down ENV, or slipway down --all');
      if (env && opts.all) throw new UsageError(`give either an environment ("${env}") or --all, not both`, 'slipway down ENV, or slipway down --all');
      const { fleet } = requireFleet(ctx, opts);
      const t0 = ctx.now();
      const target = { envs: env ? [env] : [], all: opts.all ?? false, destroyData: opts.destroyData ?? false };
      const what = opts.all ? `every environment of ${fleet.project}` : `environment ${env}`;
      await withSession(
        ctx,
        fleet,
        fleet.servers.map((s) => s.name),
        { json: opts.json ?? false, partial: true },
        async (session) => {
          const shown = await planDown(session, target);
          const plan = combined(fleet.project, shown);
          if (plan.actions.length === 0) {
            if (opts.json) printJson(ctx, { ok: session.failures.length === 0, plan, servers: [], failures: session.failures });
            else ctx.stdout.write(`Nothing to remove for ${what}.\n${plan.kept.length ? renderPlan(plan, { color: ctx.color }) : ''}`);
            return setExit(cmd, session.failures.length ? 1 : 0);
          }
          if (!opts.json) ctx.stdout.write(renderPlan(plan, { color: ctx.color }));
          if (!opts.yes) {
            if (!ctx.confirm) {
              throw new UsageError(
                `refusing to remove ${what} without confirmation: standard input is not a terminal`,
                opts.json
                  ? `see the plan with: slipway down ${opts.all ? '--all' : env} (without --json); add --yes to carry it out`
                  : 'the plan is shown above; add --yes to carry it out',
              );
            }
            const servers = shown.servers.filter((s) => s.plan.actions.length).map((s) => s.server);
            if (!(await ctx.confirm(`Remove ${what} from ${servers.join(', ')}?`))) {
              ctx.stderr.write('Nothing was done.\n');
              return setExit(cmd, 1);
            }
          }
          const lockWaitS = Number(opts.lockWait);
          const { results, failures } = await applyDown(session, shown, { lockWaitS });
          const all = [...session.failures, ...failures];
          if (opts.json) {
            printJson(ctx, { ok: all.length === 0, plan, servers: results, failures: all, durationMs: ctx.now() - t0 });
            return setExit(cmd, all.length ? 1 : 0);
          }
          for (const f of all) ctx.stderr.write(`error: ${f.error}\n${f.hint ? `  hint: ${f.hint}\n` : ''}`);
          ctx.stdout.write(renderApplied(results));
          if (all.length) return setExit(cmd, 1);
          ctx.stdout.write(`down done in ${fmtMs(ctx.now() - t0)}.\n`);
        },
      );
    });
}

/** The servers' down plans as one Plan (what the view and --json show). */
function combined(project: string, d: DownPlan): Plan {
  const actions = d.servers.flatMap((s) => s.plan.actions);
  return { project, actions, summary: summarize(actions), deploy: [], kept: d.servers.flatMap((s) => s.plan.kept) };
}
