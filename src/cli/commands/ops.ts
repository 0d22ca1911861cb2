// `slipway maintenance`, `slipway lock status|release` and `slipway secret set|rm|list`: argument
// parsing, one workflow call and a view each; the work is in workflows/ (maintenance, lock-admin,
// secrets), which the HTTP server calls too.
import { Argument, type Command } from 'commander';
import type { Fleet } from '../../config/fleet.ts';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { appEnv, envByName } from '../targets.ts';
import { serversOfEnv } from '../../workflows/env-servers.ts';
import { UserError } from '../../diag/errors.ts';
import { setMaintenance } from '../../workflows/maintenance.ts';
import { lockStatus, releaseLock } from '../../workflows/lock-admin.ts';
import { listSecrets, removeSecret, setSecret } from '../../workflows/secrets.ts';
import { renderLockRelease, renderLockStatus } from '../views/lock-view.ts';
import { renderSecretList, renderSecretRemove, renderSecretSet } from '../views/secrets-view.ts';
import { Secret, requireRedactable } from '../../util/secret.ts';
import { FILE_HELP, secretName } from '../option-values.ts';

interface Opts {
  file?: string;
  json?: boolean;
}

export function registerOps(program: Command, ctx: CliContext): void {
  program
    .command('maintenance')
    .description('Serve (on) or stop serving (off) a 503 maintenance page for APP in ENV, without touching its containers')
    .addArgument(new Argument('<state>').choices(['on', 'off']))
    .argument('<app>')
    .argument('<env>')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (state: 'on' | 'off', appName: string, envName: string, opts: Opts) => {
      const { fleet } = requireFleet(ctx, opts);
      const { app, env, server } = appEnv(fleet, appName, envName);
      await withSession(ctx, fleet, [server], opts, async (session) => {
        const r = await setMaintenance(runFor(session, server), { app: app.name, env: env.name, on: state === 'on' });
        if (opts.json) return printJson(ctx, { ok: true, app: r.app, env: r.env, maintenance: r.maintenance });
        ctx.stdout.write(`maintenance ${state} for ${r.app} in ${r.env}\n`);
      });
    });

  const lock = program.command('lock').description('Inspect or release environment locks (held on the server during deploy, rollback and up)');
  lock
    .command('status')
    .description('Show who holds the lock of each environment (or of ENV)')
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: Opts) => {
      const { fleet } = requireFleet(ctx, opts);
      const envs = (envName ? [envByName(fleet, envName)] : fleet.environments).map((e) => e.name);
      const servers = [...new Set(envs.flatMap((e) => serversOfEnv(fleet, e)))];
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const rows = await lockStatus(session, { envs });
        if (opts.json) return printJson(ctx, rows);
        ctx.stdout.write(renderLockStatus(rows));
      });
    });
  lock
    .command('release')
    .description('Release the lock of ENV (use when its holder is gone)')
    .argument('<env>')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string, opts: Opts) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envByName(fleet, envName);
      await withSession(ctx, fleet, serversOfEnv(fleet, env.name), { json: true }, async (session) => {
        const r = await releaseLock(session, { env: env.name });
        if (opts.json) return printJson(ctx, { ok: true, released: r.released });
        ctx.stdout.write(renderLockRelease(r));
      });
    });

  const secret = program.command('secret').description('Manage secrets kept on the servers (mode 0600); values are never printed');
  secret
    .command('set')
    .description('Set secret NAME from standard input (for ENV only with --env), on every server that needs it')
    .argument('<name>', 'secret name', secretName)
    .option('--env <env>', 'only for this environment')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: Opts & { env?: string }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = opts.env === undefined ? undefined : envByName(fleet, opts.env).name;
      // Wrapped as soon as it is read: only the state store unwraps it, on the server.
      const value = new Secret(((await ctx.stdin?.()) ?? '').replace(/\r?\n$/, ''), name);
      if (value.empty) throw new UserError('no secret value on standard input', `e.g. printf %s "$VALUE" | slipway secret set ${name}`);
      requireRedactable([value], { envName: opts.env });
      await withSession(ctx, fleet, secretServers(fleet, env), { json: true }, async (session) => {
        const r = await setSecret(session, { name, value, env });
        if (opts.json) return printJson(ctx, { ok: true, name: r.name, env: r.env, servers: r.servers });
        ctx.stdout.write(renderSecretSet(r));
      });
    });
  secret
    .command('rm')
    .description('Remove secret NAME (for ENV only with --env) from every server')
    .argument('<name>', 'secret name', secretName)
    .option('--env <env>', 'only the value for this environment')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: Opts & { env?: string }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = opts.env === undefined ? undefined : envByName(fleet, opts.env).name;
      await withSession(ctx, fleet, secretServers(fleet, env), { json: true }, async (session) => {
        const r = await removeSecret(session, { name, env });
        if (opts.json) return printJson(ctx, { ok: true, name: r.name, env: r.env, removedFrom: r.removedFrom });
        ctx.stdout.write(renderSecretRemove(r));
      });
    });
  secret
    .command('list')
    .description('List secret names per server (never values)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (opts: Opts) => {
      const { fleet } = requireFleet(ctx, opts);
      await withSession(ctx, fleet, secretServers(fleet, undefined), { json: true }, async (session) => {
        const rows = await listSecrets(session);
        if (opts.json) return printJson(ctx, rows);
        ctx.stdout.write(renderSecretList(rows));
      });
    });
}

/** The servers of ENV, or every server. */
function secretServers(fleet: Fleet, env: string | undefined): string[] {
  return env === undefined ? fleet.servers.map((s) => s.name) : serversOfEnv(fleet, env);
}
