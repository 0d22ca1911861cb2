// `slipway logs APP ENV [PROCESS] [-f]` and `slipway exec APP ENV PROCESS -- CMD…`: on the live
// release's containers, through the logs and exec workflows.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { appEnv, processOf } from '../targets.ts';
import { followLogs, readLogs } from '../../workflows/logs.ts';
import { execIn } from '../../workflows/exec.ts';
import { setExit } from '../exit.ts';
import { FILE_HELP, nonNegativeInteger } from '../option-values.ts';

export function registerLogsExec(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Show the logs of APP in ENV (all processes, or PROCESS) from the running containers')
    .argument('<app>')
    .argument('<env>')
    .argument('[process]')
    .option('-f, --follow', 'keep streaming new lines')
    .option('-n, --tail <n>', 'last N lines per container', nonNegativeInteger, '100')
    .option('--file <path>', FILE_HELP)
    .option('--json', 'print {container, lines[]} as JSON (not with --follow)')
    .action(async (appName: string, envName: string, proc: string | undefined, opts: { follow?: boolean; tail: string; file?: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const { app, env, server } = appEnv(fleet, appName, envName);
      const target = { app: app.name, env: env.name, process: proc === undefined ? undefined : processOf(app, env.name, proc), tail: Number(opts.tail) };
      await withSession(ctx, fleet, [server], { json: true }, async (session) => {
        const run = runFor(session, server);
        if (opts.follow) return followLogs(run, { ...target, onLine: (l) => ctx.stdout.write(`${l.process}| ${l.line}\n`) });
        const out = await readLogs(run, target);
        if (opts.json)
          return printJson(
            ctx,
            out.map((o) => ({ container: o.container, lines: o.lines })),
          );
        for (const o of out) for (const l of o.lines) ctx.stdout.write(`${o.container}| ${l}\n`);
      });
    });

  program
    .command('exec')
    .description('Run a command (argv, no shell) in the running container of APP/PROCESS in ENV')
    .argument('<app>')
    .argument('<env>')
    .argument('<process>')
    .argument('<cmd...>', 'the command, after --')
    .option('-f, --file <path>', FILE_HELP)
    .option('--replica <n>', 'which replica', nonNegativeInteger, '0')
    .option('--json', 'print {exitCode, stdout, stderr} as JSON')
    .action(
      async (appName: string, envName: string, proc: string, cmd: string[], opts: { file?: string; replica: string; json?: boolean }, command: Command) => {
        const { fleet } = requireFleet(ctx, opts);
        const { app, env, server } = appEnv(fleet, appName, envName);
        const process = processOf(app, env.name, proc);
        await withSession(ctx, fleet, [server], { json: true }, async (session) => {
          const { result: r } = await execIn(runFor(session, server), { app: app.name, env: env.name, process, replica: Number(opts.replica), argv: cmd });
          if (opts.json) printJson(ctx, r);
          else {
            ctx.stdout.write(r.stdout);
            ctx.stderr.write(r.stderr);
          }
          setExit(command, r.exitCode);
        });
      },
    );
}
