// `slipway plan`: diff the desired state against an observed state and print the ordered plan:
// the actions `up` carries out (with --json, exactly the object `up` applies), the app changes
// left to `deploy`, and the data kept.
import { readFileSync, writeFileSync } from 'node:fs';
import { withSession } from '../../workflows/fleet-session.ts';
import { planFleet } from '../../workflows/plan-fleet.ts';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { desire } from '../../plan/desire/desire.ts';
import { diff } from '../../plan/diff/diff.ts';
import { emptyObserved, type ObservedState } from '../../plan/diff/observed.ts';
import { parseObservedJson } from '../../plan/diff/observed-schema.ts';
import type { CliContext } from '../context.ts';
import { ConfigError, UserError } from '../../diag/errors.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { renderPlan } from '../views/plan-view.ts';
import { FILE_HELP } from '../option-values.ts';

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('Show what would change: + create, ~ update, ± replace, - delete, each with its reason')
    .option('-f, --file <path>', FILE_HELP)
    .option('--observed <file.json>', 'compare against a JSON snapshot of observed state instead of the engines')
    .option('--empty', 'compare against empty servers (what a fresh install would do), without connecting')
    .option('--save-observed <file.json>', 'also write what was observed on the engines to this file')
    .option('--destroy-data', 'plan as `up --destroy-data` would: delete the volumes, databases and Redis DBs the fleet no longer has')
    .option('--json', 'print the plan as JSON (exactly the object `up` applies)')
    .action(async (opts: { file: string; observed?: string; empty?: boolean; saveObserved?: string; destroyData?: boolean; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const diffOpts = { destroyData: opts.destroyData ?? false };
      const plan =
        opts.observed || opts.empty
          ? diff(desire(fleet), opts.observed ? readObserved(ctx, opts.observed) : emptyObserved(fleet.project), diffOpts)
          : await withSession(
              ctx,
              fleet,
              fleet.servers.map((s) => s.name),
              { json: true },
              async (session) => {
                const r = await planFleet(session.desired, session.runs.values(), diffOpts);
                if (opts.saveObserved) writeFileSync(resolve(ctx.cwd, opts.saveObserved), `${JSON.stringify(r.observed, null, 2)}\n`);
                return r.plan;
              },
            );
      if (opts.json) printJson(ctx, plan);
      else ctx.stdout.write(renderPlan(plan, { color: ctx.color }));
    });
}

function readObserved(ctx: CliContext, file: string): ObservedState {
  const path = resolve(ctx.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(
      `cannot read observed state ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'pass a JSON snapshot written by "slipway plan --save-observed FILE", or omit --observed',
    );
  }
  const res = parseObservedJson(text, path);
  if (!res.observed) throw new ConfigError(res.diagnostics);
  return res.observed;
}
