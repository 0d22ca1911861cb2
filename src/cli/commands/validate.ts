// `slipway validate`: parse and validate the fleet file, print every problem at once.
import type { Command } from 'commander';
import { loadFleet } from '../../config/load.ts';
import { renderDiagnostics } from '../../diag/render-human.ts';
import { fileSourceReader } from '../../diag/source-reader.ts';
import { hasErrors } from '../../diag/diagnostic.ts';
import type { CliContext } from '../context.ts';
import { fleetPath } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { setExit } from '../exit.ts';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check the fleet file against the schema and report every problem with file:line:col')
    .option('-f, --file <path>', 'fleet file', 'slipway.yaml')
    .option('--json', 'print diagnostics as JSON')
    .action((opts: { file: string; json?: boolean }, cmd: Command) => {
      const file = fleetPath(ctx, opts);
      const res = loadFleet(file);
      const ok = !hasErrors(res.diagnostics);
      if (opts.json) printJson(ctx, { ok, file, diagnostics: res.diagnostics });
      else if (res.diagnostics.length) ctx.stderr.write(`${renderDiagnostics(res.diagnostics, fileSourceReader(), { color: ctx.color })}\n`);
      if (ok && !opts.json) ctx.stdout.write(`${file}: ok (${res.fleet!.apps.length} apps, ${res.fleet!.environments.length} environments, ${res.fleet!.servers.length} servers)\n`);
      setExit(cmd, ok ? 0 : 2);
    });
}
