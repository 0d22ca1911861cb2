// `slipway up`: create what every environment needs on its servers — networks, volumes, shared
// services with their databases, and the proxy. Apps are deployed with `slipway deploy`.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { upServerLocked, type UpResult } from '../../workflows/up.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { fmtMs } from '../../workflows/reporter.ts';
import { settleLimit } from '../../util/map-limit.ts';
import { MAX_PARALLEL } from '../../workflows/fleet-session.ts';
import { setExit } from '../exit.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';

export function registerUp(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('Create networks, volumes, shared services (with databases and users) and the proxy on every server')
    .option('-f, --file <path>', FILE_HELP)
    .option('--server <name>', 'only this server')
    .option('--lock-wait <seconds>', 'wait this long for deploys holding environment locks', nonNegativeNumber, '0')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { file: string; server?: string; json?: boolean; lockWait: string }, cmd: Command) => {
      const lockWaitS = Number(opts.lockWait);
      if (!Number.isFinite(lockWaitS) || lockWaitS < 0) throw new UserError(`--lock-wait must be a non-negative number, got "${opts.lockWait}"`);
      const { fleet } = requireFleet(ctx, opts);
      const servers = opts.server ? [opts.server] : fleet.servers.map((s) => s.name);
      if (opts.server && !fleet.servers.some((s) => s.name === opts.server))
        throw new UsageError(`unknown server "${opts.server}"`, `servers: ${fleet.servers.map((s) => s.name).join(', ')}`);
      const t0 = ctx.now();
      await withSession(ctx, fleet, servers, { ...opts, partial: true }, async (session) => {
        // Servers in parallel (bounded); one failing server is reported by name and does not stop
        // the others, which finish in a consistent state.
        const runs = [...session.runs.values()];
        const settled = await settleLimit(runs, MAX_PARALLEL, (run) => upServerLocked(run, { lockWaitS }));
        const results: UpResult[] = settled.flatMap((r) => (r.ok ? [r.value] : []));
        const failures = [
          ...session.failures,
          ...settled.flatMap((r, i) =>
            r.ok ? [] : [{ server: runs[i]!.conn.server.name, error: (r.error as Error).message, hint: (r.error as { hint?: string }).hint }],
          ),
        ];
        if (opts.json) {
          printJson(ctx, { ok: failures.length === 0, servers: results, failures, durationMs: ctx.now() - t0 });
          return setExit(cmd, failures.length ? 1 : 0);
        }
        // Engine errors already start with the server's name: say it once.
        for (const f of failures)
          ctx.stderr.write(
            `error: ${f.server}: ${f.error.startsWith(`${f.server}: `) ? f.error.slice(f.server.length + 2) : f.error}\n${f.hint ? `  hint: ${f.hint}\n` : ''}`,
          );
        for (const r of results) {
          ctx.stdout.write(
            `${r.server}: ${r.networksCreated.length} network(s) and ${r.volumesCreated.length} volume(s) created, ${r.services} service(s), ${r.databases} database(s), ${r.redisDbs} Redis DB(s), proxy ${r.proxy ? 'ready' : 'none'}\n`,
          );
        }
        if (failures.length) return setExit(cmd, 1);
        ctx.stdout.write(`up done in ${fmtMs(ctx.now() - t0)}. Next: slipway deploy APP ENV\n`);
      });
    });
}
