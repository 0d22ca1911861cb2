// `slipway logs APP ENV [PROCESS] [-f]` and `slipway exec APP ENV PROCESS -- CMD…`: on the live
// release's containers.
import type { Command } from 'commander';
import type { Readable } from 'node:stream';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { appEnv, processOf } from '../targets.ts';
import { existingOf } from '../../workflows/app-containers.ts';
import { UserError } from '../../diag/errors.ts';
import { setExit } from '../exit.ts';
import { LABELS } from '../../model/labels.ts';
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
    .action(async (appName: string, envName: string, proc: string | undefined, opts: { follow?: boolean; tail: string; file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const { app, env, server } = appEnv(fleet, appName, envName);
      const process = proc === undefined ? undefined : processOf(app, env.name, proc);
      await withSession(ctx, fleet, [server], { json: true }, async (session) => {
        const run = runFor(session, server);
        const containers = (await existingOf(run, app.name, env.name)).filter(
          (c) => c.state === 'running' && (!process || c.labels[LABELS.process] === process),
        );
        if (containers.length === 0)
          throw new UserError(
            `no running container of ${app.name}${process ? `/${process}` : ''} in ${env.name}`,
            `deploy it first: slipway deploy ${app.name} ${env.name}`,
          );
        const tail = Number(opts.tail);
        if (opts.follow) {
          const streams = await Promise.all(
            containers.map(async (c) => ({ c, s: (await run.conn.engine.containerLogs(c.id, { tail, follow: true })) as Readable })),
          );
          await Promise.all(
            streams.map(
              ({ c, s }) =>
                new Promise<void>((resolve) => {
                  let buf = '';
                  s.on('data', (d: Buffer) => {
                    buf += d.toString('utf8');
                    const lines = buf.split('\n');
                    buf = lines.pop() ?? '';
                    for (const l of lines) ctx.stdout.write(`${c.labels[LABELS.process]}| ${l}\n`);
                  });
                  s.on('end', () => resolve());
                  s.on('error', () => resolve());
                }),
            ),
          );
          return;
        }
        const out = [];
        for (const c of containers) out.push({ container: c.name, lines: (await run.conn.engine.containerLogs(c.id, { tail })).split('\n').filter(Boolean) });
        if (opts.json) return printJson(ctx, out);
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
      async (appName: string, envName: string, proc: string, cmd: string[], opts: { file: string; replica: string; json?: boolean }, command: Command) => {
        const { fleet } = requireFleet(ctx, opts);
        const { app, env, server } = appEnv(fleet, appName, envName);
        const process = processOf(app, env.name, proc);
        await withSession(ctx, fleet, [server], { json: true }, async (session) => {
          const run = runFor(session, server);
          const c = (await existingOf(run, app.name, env.name)).find(
            (c) => c.state === 'running' && c.labels[LABELS.process] === process && (c.labels[LABELS.replica] ?? '0') === opts.replica,
          );
          if (!c)
            throw new UserError(`no running container of ${app.name}/${process} (replica ${opts.replica}) in ${env.name}`, `see: slipway status ${env.name}`);
          const r = await run.conn.engine.exec(c.id, cmd);
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
