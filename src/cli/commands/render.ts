// `slipway render`: print (or write) what Slipway generates — the docker-compose export per
// environment, the nginx and Caddy configs and the Postgres init SQL per server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Fleet } from '../../config/fleet.ts';
import { desire } from '../../plan/desire/desire.ts';
import type { DesiredState } from '../../plan/desire/desired.ts';
import { renderCaddy } from '../../render/caddy.ts';
import { renderCompose } from '../../render/compose.ts';
import { renderNginx } from '../../render/nginx.ts';
import { renderPostgresInitSql } from '../../render/sql.ts';
import type { CliContext } from '../context.ts';
import { UserError } from '../../diag/errors.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';

const KINDS = ['compose', 'nginx', 'caddy', 'sql', 'all'] as const;
type Kind = (typeof KINDS)[number];

export interface RenderedFile {
  path: string;
  kind: Exclude<Kind, 'all'>;
  content: string;
}

/** Every generated file for the fleet, with a stable relative path. */
export function renderAll(fleet: Fleet, desired: DesiredState, kinds: readonly Exclude<Kind, 'all'>[]): RenderedFile[] {
  const out: RenderedFile[] = [];
  if (kinds.includes('compose')) {
    for (const env of fleet.environments)
      out.push({ kind: 'compose', path: `compose/${env.name}.yml`, content: renderCompose(desired, fleet.project, env.name) });
  }
  for (const server of desired.servers) {
    if (kinds.includes('nginx')) out.push({ kind: 'nginx', path: `nginx/${server.server}.conf`, content: renderNginx(server) });
    if (kinds.includes('caddy')) out.push({ kind: 'caddy', path: `caddy/${server.server}.json`, content: `${JSON.stringify(renderCaddy(server), null, 2)}\n` });
    if (kinds.includes('sql') && server.databases.length) out.push({ kind: 'sql', path: `sql/${server.server}.sql`, content: renderPostgresInitSql(server) });
  }
  return out;
}

export function registerRender(program: Command, ctx: CliContext): void {
  program
    .command('render')
    .description('Render generated files: compose export per environment, nginx/Caddy config and Postgres init SQL per server')
    .argument('[kind]', `what to render: ${KINDS.join(', ')}`, 'all')
    .option('-f, --file <path>', 'fleet file', 'slipway.yaml')
    .option('--env <name>', 'only this environment (compose)')
    .option('--server <name>', 'only this server (nginx, caddy, sql)')
    .option('-o, --out <dir>', 'write files into this directory instead of printing them')
    .option('--json', 'print the rendered files as JSON [{path, kind, content}]')
    .action((kind: string, opts: { file: string; env?: string; server?: string; out?: string; json?: boolean }) => {
      if (!(KINDS as readonly string[]).includes(kind)) throw new UserError(`unknown render kind "${kind}"`, `choose one of: ${KINDS.join(', ')}`);
      const { fleet } = requireFleet(ctx, opts);
      if (opts.env && !fleet.environments.some((e) => e.name === opts.env))
        throw new UserError(`unknown environment "${opts.env}"`, `environments: ${fleet.environments.map((e) => e.name).join(', ')}`);
      if (opts.server && !fleet.servers.some((s) => s.name === opts.server))
        throw new UserError(`unknown server "${opts.server}"`, `servers: ${fleet.servers.map((s) => s.name).join(', ')}`);
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
