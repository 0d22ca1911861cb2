// `slipway check [--live]`: isolation and policy checks over the desired state (seed 002's
// verification checklist and seed 000's risk list, automated); with --live, isolation is also
// proven on the servers. Exit 1 when any error-level finding or failed live check exists.
import type { Command } from 'commander';
import { check } from '../../plan/check/check.ts';
import { desire } from '../../plan/desire/desire.ts';
import { liveIsolation, type LiveCheck } from '../../workflows/isolation-live.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { renderFindings } from '../views/findings-view.ts';
import { FILE_HELP } from '../option-values.ts';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('Check isolation, budgets and policies of the fleet (duplicate names, cross-environment references, memory, auth, health checks…)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--live', 'also prove isolation on the servers: networks, database users, Redis DBs, published ports')
    .option('--json', 'print findings as JSON')
    .option('--strict', 'exit non-zero on warnings too')
    .action(async (opts: { file: string; json?: boolean; strict?: boolean; live?: boolean }, cmd: Command) => {
      const { fleet, load } = requireFleet(ctx, opts);
      const findings = check(fleet, desire(fleet));
      let live: LiveCheck[] = [];
      if (opts.live) {
        await withSession(
          ctx,
          fleet,
          fleet.servers.map((s) => s.name),
          { json: true },
          async (session) => {
            live = (await Promise.all([...session.runs.values()].map((run) => liveIsolation(run)))).flat();
          },
        );
      }
      const errors = findings.filter((f) => f.severity === 'error').length + live.filter((l) => !l.ok).length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      if (opts.json) printJson(ctx, { ok: errors === 0, findings, ...(opts.live ? { live } : {}), diagnostics: load.diagnostics });
      else {
        ctx.stdout.write(renderFindings(findings, { color: ctx.color }));
        if (opts.live) ctx.stdout.write(renderLive(live));
      }
      setExit(cmd, errors > 0 || (opts.strict && warnings > 0) ? 1 : 0);
    });
}

function renderLive(live: LiveCheck[]): string {
  if (live.length === 0) return '\nLive isolation: nothing to compare (fewer than two environments running on any server).\n';
  const lines = live.map((l) => `${l.ok ? '  ✓' : '  ✗'} [${l.server}] ${l.check}: ${l.message}`);
  const failed = live.filter((l) => !l.ok).length;
  return `\nLive isolation checks:\n${lines.join('\n')}\n${failed ? `${failed} live check(s) FAILED` : `all ${live.length} live checks passed`}\n`;
}
