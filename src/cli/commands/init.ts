// `slipway init [--from docker-compose.yml]`: write a starter fleet file. Arguments are checked
// first (environment names lowercased and validated, the project name, the compose path), then
// the file is generated and loaded once more as `validate` would; if anything has an error,
// the problems are printed, nothing is written, and the exit code is 2. `--json` says whether
// and where it wrote.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { initFromCompose } from '../../config/compose/init-from-compose.ts';
import { nameProblem, normalizeEnvNames } from '../../config/env-names.ts';
import { loadFleet } from '../../config/load.ts';
import { type Diagnostic, hasErrors } from '../../diag/diagnostic.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { renderDiagnostics } from '../../diag/render-human.ts';
import { fileSourceReader } from '../../diag/source-reader.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { fleetPath } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { starterFleet } from './starter-fleet.ts';

interface InitOptions {
  from?: string;
  file?: string;
  project?: string;
  envs: string;
  force?: boolean;
  stdout?: boolean;
  json?: boolean;
}

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('Write a starter slipway.yaml, optionally imported from a docker-compose file')
    .option('--from <compose.yml>', 'import services from this docker-compose file')
    .option('-f, --file <path>', 'fleet file to write (default: $SLIPWAY_FILE, else slipway.yaml)')
    .option('--project <name>', 'project name (default: the compose name or directory name)')
    .option('--envs <list>', 'comma-separated environments (lowercase letters, digits and dashes)', 'staging,prod')
    .option('--force', 'overwrite an existing fleet file')
    .option('--stdout', 'print the fleet file instead of writing it')
    .option('--json', 'print { ok, wrote, file, envs, yaml, diagnostics } as JSON')
    .action((opts: InitOptions, cmd: Command) => {
      const envs = normalizeEnvNames(opts.envs);
      const bad = envs.problems[0];
      if (bad) throw new UsageError(`--envs: ${bad.message}`, bad.hint);
      const projectProblem = opts.project === undefined ? undefined : nameProblem(opts.project, 'project');
      if (projectProblem) throw new UsageError(`--project: ${projectProblem.message}`, projectProblem.hint);
      const target = fleetPath(ctx, opts);
      const shown = relative(ctx.cwd, target) || target;
      if (!opts.stdout && existsSync(target) && !opts.force)
        throw new UserError(`${shown} already exists`, 'pass --force to overwrite it, or --stdout to print instead');

      let yaml = starterFleet({ project: opts.project, envs: envs.names });
      let diagnostics: Diagnostic[] = [];
      if (opts.from) {
        const from = resolve(ctx.cwd, opts.from);
        if (!existsSync(from)) throw new UsageError(`no compose file at ${opts.from}`, 'pass the path of an existing docker-compose.yml');
        const res = initFromCompose(relative(dirname(target), from) || from, { project: opts.project, envs: envs.names, baseDir: dirname(target) });
        yaml = res.yaml;
        diagnostics = res.diagnostics;
      }
      // What `validate` would say of the file: only its errors, the warnings were reported above.
      if (!hasErrors(diagnostics)) diagnostics.push(...loadFleet(target, { text: yaml }).diagnostics.filter((d) => d.severity === 'error'));
      const failed = hasErrors(diagnostics);
      const wrote = !failed && !opts.stdout;
      if (wrote) writeFileSync(target, yaml);
      if (failed) setExit(cmd, 2);

      if (opts.json) return printJson(ctx, { ok: !failed, wrote, file: wrote ? target : null, envs: envs.names, yaml: failed ? null : yaml, diagnostics });
      if (diagnostics.length) ctx.stderr.write(`${renderDiagnostics(diagnostics, fileSourceReader(), { color: ctx.color })}\n`);
      if (failed) {
        const n = diagnostics.filter((d) => d.severity === 'error').length;
        ctx.stderr.write(
          `error: nothing written: ${n} problem(s) above\n  hint: fix ${opts.from ? `${opts.from} (or the arguments)` : 'the arguments'} and run init again\n`,
        );
        return;
      }
      if (opts.stdout) return void ctx.stdout.write(yaml);
      const flag = shown === 'slipway.yaml' ? '' : ` --file ${shown}`;
      ctx.stdout.write(`wrote ${shown}. Next: slipway validate${flag} && slipway plan${flag}\n`);
    });
}
