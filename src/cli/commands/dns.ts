// `slipway dns plan [ENV]` and `slipway dns apply [ENV]`: the A/AAAA records of the fleet's domains
// in the zones of `dns:` (pointing at each environment's server addresses), shown as a plan or
// applied (creates and updates only). `--ttl N` sets every record's TTL, e.g. 60 ahead of a move.
// The providers' credentials are fleet-wide secrets: the repository's secrets/_all.age, else the
// server-wide value, read through a session opened only once a zone needs one.
import type { Command } from 'commander';
import { UsageError } from '../../diag/errors.ts';
import { dnsApply, dnsPlan } from '../../workflows/dns.ts';
import { openSession } from '../../workflows/fleet-session.ts';
import { type GetSecret, lazyFleetSecrets } from '../../workflows/fleet-secrets.ts';
import { createReporter } from '../../workflows/reporter.ts';
import type { Fleet } from '../../config/fleet.ts';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { IDENTITY_HELP } from '../identity-option.ts';
import { FILE_HELP, positiveInteger } from '../option-values.ts';
import { printJson } from '../print.ts';
import { serversOfEnv } from '../targets.ts';
import { renderDnsPlan } from '../../plan/dns/dns-view.ts';

interface DnsOptions {
  file?: string;
  ttl?: string;
  json?: boolean;
  identity?: string;
}

const MAX_TTL = 2_147_483_647;

function ttlOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (n > MAX_TTL)
    throw new UsageError(`--ttl ${v}: a DNS TTL is at most ${MAX_TTL} seconds`, 'use a TTL in seconds, e.g. --ttl 60 ahead of a move, 300 or 3600 after');
  return n;
}

function requireDns(fleet: Fleet): void {
  if (fleet.dns.length === 0)
    throw new UsageError(
      `${fleet.file} has no dns: section: no zone to manage`,
      'add one, e.g. dns: { example.com: { provider: rfc2136, server: 192.0.2.53, key: { name: slipway, algorithm: hmac-sha256, secret: { secret: dns-tsig } } } }',
    );
}

/** Fleet-wide secrets through a session opened only once a zone needs one. */
function lazySecrets(ctx: CliContext, fleet: Fleet, env: string | undefined, opts: DnsOptions): { getSecret: GetSecret; close(): Promise<void> } {
  const servers = env !== undefined ? serversOfEnv(fleet, env) : fleet.servers.map((s) => s.name);
  return lazyFleetSecrets(() => openSession(ctx, fleet, servers, { json: true, identity: opts.identity }), servers);
}

export function registerDns(program: Command, ctx: CliContext): void {
  const dns = program.command('dns').description("Manage the A/AAAA records of the fleet's domains in the zones of `dns:` (RFC 2136 with TSIG, or Cloudflare)");

  const common = (c: Command) =>
    c
      .argument('[env]', 'only the domains of this environment (default: every environment)')
      .option('--ttl <seconds>', "TTL for every record instead of each zone's ttl (e.g. 60 ahead of a move)", positiveInteger)
      .option('-f, --file <path>', FILE_HELP)
      .option('--identity <file>', IDENTITY_HELP)
      .option('--json', 'print the result as JSON');

  common(
    dns
      .command('plan')
      .description(
        "Show the DNS changes: + create, ~ update (TTL or addresses), each domain pointing at its environment's server; domains without a zone are listed as not managed",
      ),
  ).action(async (envName: string | undefined, opts: DnsOptions) => {
    const { fleet } = requireFleet(ctx, opts);
    requireDns(fleet);
    const ttl = ttlOf(opts.ttl);
    const secrets = lazySecrets(ctx, fleet, envName, opts);
    try {
      const plan = await dnsPlan(fleet, secrets.getSecret, { ...(ttl !== undefined ? { ttl } : {}), ...(envName !== undefined ? { env: envName } : {}) });
      if (opts.json) printJson(ctx, plan);
      else ctx.stdout.write(renderDnsPlan(plan));
    } finally {
      await secrets.close();
    }
  });

  common(
    dns
      .command('apply')
      .description(
        'Make the DNS changes of `dns plan`: create and update record sets (one atomic replace each); records the fleet does not name are never touched',
      ),
  ).action(async (envName: string | undefined, opts: DnsOptions) => {
    const { fleet } = requireFleet(ctx, opts);
    requireDns(fleet);
    const ttl = ttlOf(opts.ttl);
    const secrets = lazySecrets(ctx, fleet, envName, opts);
    const report = createReporter(opts.json ? null : ctx.stderr, ctx.now);
    try {
      const r = await dnsApply(fleet, secrets.getSecret, report, { ...(ttl !== undefined ? { ttl } : {}), ...(envName !== undefined ? { env: envName } : {}) });
      if (opts.json) printJson(ctx, { ...r, steps: report.steps });
      else {
        ctx.stdout.write(renderDnsPlan(r.plan));
        const created = r.applied.filter((c) => c.kind === 'create').length;
        ctx.stdout.write(`Applied: ${created} created, ${r.applied.length - created} updated.\n`);
      }
    } finally {
      await secrets.close();
    }
  });
}
