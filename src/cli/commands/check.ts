// `slipway check`: isolation and policy checks over the desired state (seed 002's verification
// checklist and seed 000's risk list, automated). Exit 1 when any error-level finding exists.
import type { Command } from 'commander';
import { check } from '../../plan/check.ts';
import { desire } from '../../plan/desire.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { renderFindings } from '../views/findings-view.ts';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('Check isolation, budgets and policies of the fleet (duplicate names, cross-environment references, memory, auth, health checks…)')
    .option('-f, --file <path>', 'fleet file', 'slipway.yaml')
    .option('--json', 'print findings as JSON')
    .option('--strict', 'exit non-zero on warnings too')
    .action((opts: { file: string; json?: boolean; strict?: boolean }, cmd: Command) => {
      const { fleet, load } = requireFleet(ctx, opts);
      const findings = check(fleet, desire(fleet));
      const errors = findings.filter((f) => f.severity === 'error').length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      if (opts.json) printJson(ctx, { ok: errors === 0, findings, diagnostics: load.diagnostics });
      else ctx.stdout.write(renderFindings(findings, { color: ctx.color }));
      setExit(cmd, errors > 0 || (opts.strict && warnings > 0) ? 1 : 0);
    });
}
