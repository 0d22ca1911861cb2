// `slipway releases APP ENV` and `slipway audit [ENV]`: the history kept on the servers, read by
// the releases-list and audit-log workflows and shown as a table (or JSON).
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { appEnv, envByName } from '../targets.ts';
import { serversOfEnv } from '../../workflows/env-servers.ts';
import { listReleases } from '../../workflows/releases-list.ts';
import { readAuditLog } from '../../workflows/audit-log.ts';
import { renderAudit, renderReleases } from '../views/history-view.ts';
import { FILE_HELP, nonNegativeInteger } from '../option-values.ts';

export function registerReleases(program: Command, ctx: CliContext): void {
  program
    .command('releases')
    .description('List the releases of APP in ENV: which is live, what each was built from, who deployed it and when')
    .argument('<app>')
    .argument('<env>')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (appName: string, envName: string, opts: { file?: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const { app, env, server } = appEnv(fleet, appName, envName);
      await withSession(ctx, fleet, [server], { json: true }, async (session) => {
        const h = await listReleases(runFor(session, server), { app: app.name, env: env.name });
        if (opts.json) return printJson(ctx, h);
        ctx.stdout.write(renderReleases(h));
      });
    });

  program
    .command('audit')
    .description('Show the audit log (deploys, rollbacks, maintenance, lock releases) kept on the servers of ENV, or of the whole fleet')
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('-n, --tail <n>', 'last N entries (0: all)', nonNegativeInteger, '50')
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: { file?: string; tail: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envName === undefined ? undefined : envByName(fleet, envName).name;
      const servers = env ? serversOfEnv(fleet, env) : fleet.servers.map((s) => s.name);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const entries = await readAuditLog(session, { env, tail: Number(opts.tail) || undefined });
        if (opts.json) return printJson(ctx, entries);
        ctx.stdout.write(renderAudit(entries));
      });
    });
}
