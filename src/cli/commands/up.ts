// `slipway up`: on every server, observe → diff → apply the plan (what `slipway plan` shows):
// networks, volumes, shared services with their databases and Redis DBs, the proxy and its routes;
// what the fleet no longer has is removed, its data kept unless --destroy-data. Apps are
// deployed with `slipway deploy`.
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
import { renderApplied } from '../views/apply-view.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { IDENTITY_HELP } from '../identity-option.ts';

export function registerUp(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description(
      'Apply the plan on every server: networks, volumes, shared services (with databases, users, Redis DBs), the proxy and its routes; remove what the fleet no longer has (data kept unless --destroy-data)',
    )
    .option('-f, --file <path>', FILE_HELP)
    .option('--server <name>', 'only this server')
    .option('--lock-wait <seconds>', 'wait this long for deploys holding environment locks', nonNegativeNumber, '0')
    .option('--identity <file>', IDENTITY_HELP)
    .option('--destroy-data', 'also delete the volumes, databases and Redis DBs the fleet no longer has (their data is lost)')
    .option('--json', 'print the result as JSON: per server, the plan applied and each action with its outcome')
    .action(async (opts: { file: string; server?: string; json?: boolean; lockWait: string; destroyData?: boolean }, cmd: Command) => {
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
        const settled = await settleLimit(runs, MAX_PARALLEL, (run) => upServerLocked(run, { lockWaitS, destroyData: opts.destroyData ?? false }));
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
        ctx.stdout.write(renderApplied(results));
        if (failures.length) return setExit(cmd, 1);
        ctx.stdout.write(`up done in ${fmtMs(ctx.now() - t0)}. Next: slipway deploy APP ENV\n`);
      });
    });
}
