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
import { FILE_HELP } from '../option-values.ts';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('Check the fleet file against the schema and report every problem with file:line:col')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print diagnostics as JSON')
    .option('-v, --verbose', 'also show info-level notes (e.g. what compose import changed)')
    .action((opts: { file: string; json?: boolean; verbose?: boolean }, cmd: Command) => {
      const file = fleetPath(ctx, opts);
      const res = loadFleet(file);
      const ok = !hasErrors(res.diagnostics);
      if (opts.json) printJson(ctx, { ok, file, diagnostics: res.diagnostics });
      else {
        const shown = opts.verbose ? res.diagnostics : res.diagnostics.filter((d) => d.severity !== 'info');
        if (shown.length) ctx.stderr.write(`${renderDiagnostics(shown, fileSourceReader(), { color: ctx.color })}\n`);
        const hidden = res.diagnostics.length - shown.length;
        if (hidden) ctx.stderr.write(`(${hidden} info note${hidden === 1 ? '' : 's'} hidden; --verbose shows them)\n`);
      }
      if (ok && !opts.json)
        ctx.stdout.write(
          `${file}: ok (${res.fleet!.apps.length} apps, ${res.fleet!.environments.length} environments, ${res.fleet!.servers.length} servers)\n`,
        );
      setExit(cmd, ok ? 0 : 2);
    });
}
