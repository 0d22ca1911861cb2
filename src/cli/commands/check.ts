// `slipway check [--live]`: isolation and policy checks over the desired state (seed 002's
// verification checklist and seed 000's risk list, automated); with --live, isolation is also
// proven on the servers, each managed domain's records are compared with its server's address,
// and the certificates the proxies serve are checked for expiry (workflows/tls-live.ts). Exit 1
// when any error-level finding or failed live check exists.
import type { Command } from 'commander';
import { check } from '../../plan/check/check.ts';
import { desire } from '../../plan/desire/desire.ts';
import { liveIsolation, type LiveCheck } from '../../workflows/isolation-live.ts';
import { liveCertificateFindings, liveDnsFindings } from '../../workflows/tls-live.ts';
import { fleetSecrets } from '../../workflows/fleet-secrets.ts';
import { sortFindings } from '../../plan/check/finding.ts';
import type { CliContext } from '../context.ts';
import { setExit } from '../exit.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { renderFindings } from '../views/findings-view.ts';
import { FILE_HELP } from '../option-values.ts';
import { fmtMs } from '../../workflows/reporter.ts';

export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('Check isolation, budgets and policies of the fleet (duplicate names, cross-environment references, memory, auth, health checks…)')
    .option('-f, --file <path>', FILE_HELP)
    .option(
      '--live',
      "also prove isolation on the servers: networks, published ports, and what an attacker would try from each environment's network with its apps' credentials (Redis: no credentials, another environment's DB, FLUSHALL, CONFIG, KEYS; Postgres: no credentials, CREATE DATABASE/ROLE, pg_authid, another environment's database); also warn on domains whose DNS does not point at their server (zones under dns:) and certificates expiring within 14 days or missing",
    )
    .option('--json', 'print findings as JSON')
    .option('--strict', 'exit non-zero on warnings too')
    .action(async (opts: { file: string; json?: boolean; strict?: boolean; live?: boolean }, cmd: Command) => {
      const { fleet, load } = requireFleet(ctx, opts);
      let findings = check(fleet, desire(fleet));
      let live: LiveCheck[] = [];
      const timings: { server: string; ms: number }[] = [];
      if (opts.live) {
        await withSession(
          ctx,
          fleet,
          fleet.servers.map((s) => s.name),
          { json: opts.json },
          async (session) => {
            const [per, dns] = await Promise.all([
              Promise.all(
                [...session.runs.values()].map(async (run) => {
                  const t0 = ctx.now();
                  const [checks, certs] = await Promise.all([liveIsolation(run), liveCertificateFindings(run)]);
                  timings.push({ server: run.conn.server.name, ms: ctx.now() - t0 });
                  return { checks, certs };
                }),
              ),
              liveDnsFindings(fleet, fleetSecrets(session)),
            ]);
            live = per.flatMap((p) => p.checks);
            findings = sortFindings([...findings, ...per.flatMap((p) => p.certs), ...dns]);
          },
        );
      }
      const errors = findings.filter((f) => f.severity === 'error').length + live.filter((l) => !l.ok).length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      if (opts.json) printJson(ctx, { ok: errors === 0, findings, ...(opts.live ? { live, liveTimings: timings } : {}), diagnostics: load.diagnostics });
      else {
        ctx.stdout.write(renderFindings(findings, { color: ctx.color }));
        if (opts.live) ctx.stdout.write(renderLive(live, timings));
      }
      setExit(cmd, errors > 0 || (opts.strict && warnings > 0) ? 1 : 0);
    });
}

function renderLive(live: LiveCheck[], timings: { server: string; ms: number }[]): string {
  if (live.length === 0) return '\nLive isolation: nothing to compare (fewer than two environments running on any server).\n';
  const lines = live.map((l) => `${l.ok ? '  ✓' : '  ✗'} [${l.server}] ${l.check}: ${l.message}${l.ms !== undefined ? ` (${fmtMs(l.ms)})` : ''}`);
  const failed = live.filter((l) => !l.ok);
  const attacks = live.filter((l) => l.attempt !== undefined);
  const summary = [
    failed.length ? `${failed.length} live check(s) FAILED` : `all ${live.length} live checks passed`,
    ...(attacks.length
      ? [
          `${attacks.filter((l) => l.outcome === 'refused').length} of ${attacks.length} attacker attempts refused${attacks.some((l) => l.outcome === 'contained') ? `, ${attacks.filter((l) => l.outcome === 'contained').length} contained` : ''}`,
        ]
      : []),
    ...(timings.length
      ? [
          [...timings]
            .sort((a, b) => (a.server < b.server ? -1 : 1))
            .map((t) => `${t.server} ${fmtMs(t.ms)}`)
            .join(', '),
        ]
      : []),
  ];
  // The attempts that got through, once each, with the environments they came from.
  const through = new Map<string, { envs: Set<string>; answer: string }>();
  for (const l of failed.filter((x) => x.outcome === 'succeeded')) {
    const k = `${l.attempt}${l.victim ? ` → ${l.victim}` : ''} on ${l.target} [${l.server}]`;
    const e = through.get(k) ?? { envs: new Set<string>(), answer: l.answer ?? '' };
    e.envs.add(l.env ?? '?');
    through.set(k, e);
  }
  const named = [...through].map(([k, e]) => `  ✗ ${k} from ${[...e.envs].join(', ')}: ${e.answer}`);
  return `\nLive isolation checks:\n${lines.join('\n')}\n${summary.join('; ')}\n${named.length ? `Attacker attempts that SUCCEEDED (each must be refused):\n${named.join('\n')}\n` : ''}`;
}
