// `slipway plan`: diff the desired state against an observed state and print the ordered plan.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { desire } from '../../plan/desire.ts';
import { diff } from '../../plan/diff.ts';
import { emptyObserved, type ObservedState } from '../../plan/observed.ts';
import { parseObservedJson } from '../../plan/observed-schema.ts';
import type { CliContext } from '../context.ts';
import { ConfigError, UserError } from '../../diag/errors.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { renderPlan } from '../views/plan-view.ts';

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('Show what would change: + create, ~ update, ± replace, - delete, each with its reason')
    .option('-f, --file <path>', 'fleet file', 'slipway.yaml')
    .option('--observed <file.json>', 'compare against a JSON snapshot of observed state instead of the engines')
    .option('--empty', 'compare against an empty server (what a fresh install would do)')
    .option('--json', 'print the plan as JSON')
    .action((opts: { file: string; observed?: string; empty?: boolean; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const observed = opts.observed ? readObserved(ctx, opts.observed) : emptyObserved(fleet.project);
      const plan = diff(desire(fleet), observed);
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
    throw new UserError(`cannot read observed state ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'pass a JSON snapshot written by "slipway observe --json", or omit --observed');
  }
  const res = parseObservedJson(text, path);
  if (!res.observed) throw new ConfigError(res.diagnostics);
  return res.observed;
}
