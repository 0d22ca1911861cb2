// `slipway init [--from docker-compose.yml]`: write a starter fleet file.
import { existsSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { initFromCompose } from '../../config/compose/init-from-compose.ts';
import { renderDiagnostics } from '../../diag/render-human.ts';
import type { CliContext } from '../context.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { printJson } from '../print.ts';
import { STARTER_FLEET } from './starter-fleet.ts';
import { fleetPath } from '../fleet-input.ts';

export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('Write a starter slipway.yaml, optionally imported from a docker-compose file')
    .option('--from <compose.yml>', 'import services from this docker-compose file')
    .option('-f, --file <path>', 'fleet file to write (default: $SLIPWAY_FILE, else slipway.yaml)')
    .option('--project <name>', 'project name (default: the directory name)')
    .option('--envs <list>', 'comma-separated environments', 'staging,prod')
    .option('--force', 'overwrite an existing fleet file')
    .option('--stdout', 'print the fleet file instead of writing it')
    .option('--json', 'print {file, yaml, diagnostics} as JSON')
    .action((opts: { from?: string; file?: string; project?: string; envs: string; force?: boolean; stdout?: boolean; json?: boolean }) => {
      const target = fleetPath(ctx, opts);
      const shown = relative(ctx.cwd, target) || target;
      if (!opts.stdout && !opts.json && existsSync(target) && !opts.force)
        throw new UserError(`${shown} already exists`, 'pass --force to overwrite it, or --stdout to print instead');
      const envs = opts.envs
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      let yaml = STARTER_FLEET;
      let diagnostics: ReturnType<typeof initFromCompose>['diagnostics'] = [];
      if (opts.from) {
        const from = resolve(ctx.cwd, opts.from);
        if (!existsSync(from)) throw new UsageError(`no compose file at ${opts.from}`, 'pass the path of an existing docker-compose.yml');
        const res = initFromCompose(relative(resolve(target, '..'), from) || from, {
          project: opts.project,
          envs,
          baseDir: resolve(target, '..'),
        } as Parameters<typeof initFromCompose>[1]);
        yaml = res.yaml;
        diagnostics = res.diagnostics;
      }
      if (opts.json) return printJson(ctx, { file: target, yaml, diagnostics });
      if (diagnostics.length) ctx.stderr.write(`${renderDiagnostics(diagnostics, () => undefined)}\n`);
      if (opts.stdout) return void ctx.stdout.write(yaml);
      writeFileSync(target, yaml);
      const flag = shown === 'slipway.yaml' ? '' : ` --file ${shown}`;
      ctx.stdout.write(`wrote ${shown}. Next: slipway validate${flag} && slipway plan${flag}\n`);
    });
}
