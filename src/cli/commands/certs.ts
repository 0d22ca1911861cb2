// `slipway certs [ENV]`: the certificates each server's proxy serves (all, or ENV's): host,
// names, issuer, expiry with the days left, challenge, and where each comes from: `slipway acme`
// (obtained by Slipway), `files` (from secrets) or `caddy` (obtained by Caddy, read from its
// storage in the proxy container). `--json`: CertRow[]. `--renew` first obtains every
// Slipway-managed certificate (of ENV) again, under the environments' locks.
import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { withSession } from '../../workflows/fleet-session.ts';
import { envByName, serversOfEnv } from '../targets.ts';
import { listCertificates, type CertRow } from '../../workflows/tls/cert-list.ts';
import { table } from '../views/table.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { renewCertificates } from '../../workflows/tls/renew-certificates.ts';

export function registerCerts(program: Command, ctx: CliContext): void {
  program
    .command('certs')
    .description(
      'List the TLS certificates of every server (or of ENV): domains, issuer, expiry, challenge, and who obtained them (Slipway, Caddy, or secrets)',
    )
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .option('--renew', 'renew the certificates Slipway manages (all, or those of ENV) now, whatever their expiry, then list')
    .option('--lock-wait <seconds>', 'with --renew: wait this long for deploys holding environment locks', nonNegativeNumber, '0')
    .action(async (envName: string | undefined, opts: { file?: string; json?: boolean; renew?: boolean; lockWait: string }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envName === undefined ? undefined : envByName(fleet, envName).name;
      const servers = env ? serversOfEnv(fleet, env) : fleet.servers.map((s) => s.name);
      await withSession(ctx, fleet, servers, { json: !!opts.json || !opts.renew }, async (session) => {
        if (opts.renew) for (const run of session.runs.values()) await renewCertificates(run, { ...(env ? { env } : {}), lockWaitS: Number(opts.lockWait) });
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
