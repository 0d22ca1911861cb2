// `slipway certs [ENV]`: the certificates each server's proxy serves (all, or ENV's): host,
// names, issuer, expiry with the days left, challenge, and where each comes from: `slipway acme`
// (obtained by Slipway), `files` (from secrets) or `caddy` (obtained by Caddy, read from its
// storage in the proxy container). `--json`: CertRow[].
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { envByName, serversOfEnv } from '../targets.ts';
import { listCertificates, type CertRow } from '../../workflows/tls/cert-list.ts';
import { table } from '../views/table.ts';
import { FILE_HELP } from '../option-values.ts';

export function registerCerts(program: Command, ctx: CliContext): void {
  program
    .command('certs')
    .description(
      'List the TLS certificates of every server (or of ENV): domains, issuer, expiry, challenge, and who obtained them (Slipway, Caddy, or secrets)',
    )
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: { file?: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envName === undefined ? undefined : envByName(fleet, envName).name;
      const servers = env ? serversOfEnv(fleet, env) : fleet.servers.map((s) => s.name);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const rows = (await Promise.all([...session.runs.values()].map((run) => listCertificates(run, env)))).flat();
        if (opts.json) return printJson(ctx, rows);
        ctx.stdout.write(rows.length ? renderCerts(rows) : `no certificates${env ? ` for ${env}` : ''}\n`);
      });
    });
}

export function renderCerts(rows: readonly CertRow[]): string {
  const expiry = (r: CertRow) => `${r.notAfter.slice(0, 10)} (${r.daysLeft < 0 ? `expired ${-r.daysLeft}d ago` : `${r.daysLeft}d left`})`;
  return table(
    ['SERVER', 'HOST', 'ENV', 'DOMAINS', 'ISSUER', 'EXPIRES', 'CHALLENGE', 'SOURCE'],
    rows.map((r) => [r.server, r.host, r.env ?? '-', r.domains.join(','), r.issuer, expiry(r), r.challenge ?? '-', r.source]),
  );
}
