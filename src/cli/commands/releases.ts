// `slipway releases APP ENV` and `slipway audit [ENV]`: history kept on the server.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { appEnv, envByName, serversOfEnv } from '../targets.ts';
import { readHistory } from '../../workflows/releases.ts';
import { readAudit } from '../../workflows/audit.ts';
import { table } from '../views/table.ts';
import { FILE_HELP, nonNegativeInteger } from '../option-values.ts';

export function registerReleases(program: Command, ctx: CliContext): void {
  program
    .command('releases')
    .description('List the releases of APP in ENV: which is live, what each was built from, who deployed it and when')
    .argument('<app>')
    .argument('<env>')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (appName: string, envName: string, opts: { file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const { app, env, server } = appEnv(fleet, appName, envName);
      await withSession(ctx, fleet, [server], { json: true }, async (session) => {
        const h = await readHistory(runFor(session, server).store, app.name, env.name);
        if (opts.json) return printJson(ctx, h);
        if (h.releases.length === 0)
          return void ctx.stdout.write(`${app.name} has never been deployed to ${env.name}. Deploy it with: slipway deploy ${app.name} ${env.name}\n`);
        ctx.stdout.write(
          table(
            ['RELEASE', 'STATUS', 'REF', 'GIT SHA', 'DEPLOYED', 'BY', 'NOTE'],
            h.releases.map((r) => [r.release, r.status, r.ref ?? '', r.gitSha?.slice(0, 12) ?? '', r.deployedAt, r.deployedBy, r.note ?? '']),
          ),
        );
      });
    });

  program
    .command('audit')
    .description('Show the audit log (deploys, rollbacks, maintenance, lock releases) kept on the servers of ENV, or of the whole fleet')
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('-n, --tail <n>', 'last N entries', nonNegativeInteger, '50')
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: { file: string; tail: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const servers = envName ? serversOfEnv(fleet, envByName(fleet, envName).name) : fleet.servers.map((s) => s.name);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const entries = [];
        for (const [server, run] of session.runs) for (const e of await readAudit(run.store)) if (!envName || e.env === envName) entries.push({ server, ...e });
        entries.sort((a, b) => a.at.localeCompare(b.at));
        const shown = entries.slice(-Number(opts.tail));
        if (opts.json) return printJson(ctx, shown);
        ctx.stdout.write(
          table(
            ['AT', 'SERVER', 'BY', 'ACTION', 'ENV', 'APP', 'RELEASE', 'OUTCOME', 'DETAIL'],
            shown.map((e) => [e.at, e.server, e.by, e.action, e.env ?? '', e.app ?? '', e.release ?? '', e.outcome, e.detail ?? '']),
          ),
        );
      });
    });
}
