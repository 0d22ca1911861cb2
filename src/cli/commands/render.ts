// `slipway render`: print (or write) what Slipway generates — the docker-compose export per
// environment, the nginx and Caddy configs and the Postgres init SQL per server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Argument, type Command } from 'commander';
import { desire } from '../../plan/desire/desire.ts';
import { KINDS, type Kind, renderAll } from '../../render/all.ts';
import type { CliContext } from '../context.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { FILE_HELP } from '../option-values.ts';

export function registerRender(program: Command, ctx: CliContext): void {
  program
    .command('render')
    .description('Render generated files: compose export per environment, nginx/Caddy config and Postgres init SQL per server')
    .addArgument(new Argument('[kind]', 'what to render').choices(KINDS).default('all'))
    .option('-f, --file <path>', FILE_HELP)
    .option('--env <name>', 'only this environment (compose)')
    .option('--server <name>', 'only this server (nginx, caddy, sql)')
    .option('-o, --out <dir>', 'write files into this directory instead of printing them')
    .option('--json', 'print the rendered files as JSON [{path, kind, content}]')
    .action((kind: string, opts: { file: string; env?: string; server?: string; out?: string; json?: boolean }) => {
      if (!(KINDS as readonly string[]).includes(kind)) throw new UserError(`unknown render kind "${kind}"`, `choose one of: ${KINDS.join(', ')}`);
      const { fleet } = requireFleet(ctx, opts);
      if (opts.env && !fleet.environments.some((e) => e.name === opts.env))
        throw new UsageError(`unknown environment "${opts.env}"`, `environments: ${fleet.environments.map((e) => e.name).join(', ')}`);
      if (opts.server && !fleet.servers.some((s) => s.name === opts.server))
        throw new UsageError(`unknown server "${opts.server}"`, `servers: ${fleet.servers.map((s) => s.name).join(', ')}`);
      const kinds = kind === 'all' ? (['compose', 'nginx', 'caddy', 'sql'] as const) : [kind as Exclude<Kind, 'all'>];
      const files = renderAll(fleet, desire(fleet), kinds).filter(
        (f) =>
          (!opts.env || f.kind !== 'compose' || f.path === `compose/${opts.env}.yml`) &&
          (!opts.server || f.kind === 'compose' || f.path.includes(`/${opts.server}.`)),
      );
      if (opts.json) return printJson(ctx, files);
      if (opts.out) {
        const dir = resolve(ctx.cwd, opts.out);
        for (const f of files) {
          mkdirSync(join(dir, f.path, '..'), { recursive: true });
          writeFileSync(join(dir, f.path), f.content);
          ctx.stdout.write(`wrote ${join(opts.out, f.path)}\n`);
        }
        return;
      }
      for (const f of files) ctx.stdout.write(files.length > 1 ? `# --- ${f.path} ---\n${f.content}\n` : f.content);
    });
}
