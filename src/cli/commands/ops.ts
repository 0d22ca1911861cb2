// Operating commands on server state: maintenance pages, environment locks and secrets.
import { Argument, type Command } from 'commander';
import type { CliContext } from '../context.ts';
import { requireFleet } from '../fleet-input.ts';
import { printJson } from '../print.ts';
import { runFor, withSession } from '../../workflows/fleet-session.ts';
import { appEnv, envByName, serversOfEnv } from '../targets.ts';
import { UserError } from '../../diag/errors.ts';
import { proxyInputs, readMaintenance, reloadProxy, writeMaintenance } from '../../workflows/proxy.ts';
import { EnvLock, isStale, pidAlive, readLock } from '../../workflows/lock.ts';
import { audit } from '../../workflows/audit.ts';
import { authSecrets } from '../../workflows/proxy-config.ts';
import { table } from '../views/table.ts';
import { FILE_HELP, secretName } from '../option-values.ts';

export function registerOps(program: Command, ctx: CliContext): void {
  program
    .command('maintenance')
    .description('Serve (on) or stop serving (off) a 503 maintenance page for APP in ENV, without touching its containers')
    .addArgument(new Argument('<state>').choices(['on', 'off']))
    .argument('<app>')
    .argument('<env>')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (state: string, appName: string, envName: string, opts: { file: string; json?: boolean }) => {
      if (state !== 'on' && state !== 'off')
        throw new UserError(`maintenance takes "on" or "off", not "${state}"`, `e.g. slipway maintenance on ${appName} ${envName}`);
      const { fleet } = requireFleet(ctx, opts);
      const { app, env, server } = appEnv(fleet, appName, envName);
      await withSession(ctx, fleet, [server], opts, async (session) => {
        const run = runFor(session, server);
        if (!run.state.routes.some((r) => r.app === app.name && r.env === env.name))
          throw new UserError(`${app.name} has no route in ${env.name}`, 'maintenance pages replace a route; give the app a web process and a domain');
        const set = await readMaintenance(run);
        const key = `${app.name}/${env.name}`;
        if (state === 'on') set.add(key);
        else set.delete(key);
        await writeMaintenance(run, set);
        await reloadProxy(run, await proxyInputs(run));
        await audit(run.store, { action: `maintenance ${state}`, env: env.name, app: app.name, outcome: 'ok' }, run.now);
        if (opts.json) return printJson(ctx, { ok: true, app: app.name, env: env.name, maintenance: state === 'on' });
        ctx.stdout.write(`maintenance ${state} for ${app.name} in ${env.name}\n`);
      });
    });

  const lock = program.command('lock').description('Inspect or release environment locks (held on the server during deploy, rollback and up)');
  lock
    .command('status')
    .description('Show who holds the lock of each environment (or of ENV)')
    .argument('[env]')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string | undefined, opts: { file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const envs = envName ? [envByName(fleet, envName)] : fleet.environments;
      const servers = [...new Set(envs.flatMap((e) => serversOfEnv(fleet, e.name)))];
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const rows = [];
        for (const e of envs) {
          for (const s of serversOfEnv(fleet, e.name)) {
            const run = session.runs.get(s);
            if (!run) continue;
            const h = await readLock(run.conn.engine, fleet.project, e.name);
            rows.push({ env: e.name, server: s, locked: Boolean(h), stale: h ? isStale(h, pidAlive) : false, ...(h ?? {}) });
          }
        }
        if (opts.json) return printJson(ctx, rows);
        ctx.stdout.write(
          table(
            ['ENV', 'SERVER', 'LOCK'],
            rows.map((r) => [
              r.env,
              r.server,
              r.locked
                ? `held by ${'holder' in r ? r.holder : '?'} (pid ${'pid' in r ? r.pid : '?'}) running "${'command' in r ? r.command : ''}" since ${'since' in r ? r.since : ''}${r.stale ? ' — STALE: that process is gone' : ''}`
                : 'free',
            ]),
          ),
        );
      });
    });
  lock
    .command('release')
    .description('Release the lock of ENV (use when its holder is gone)')
    .argument('<env>')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (envName: string, opts: { file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = envByName(fleet, envName);
      const servers = serversOfEnv(fleet, env.name);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const released = [];
        for (const s of servers) {
          const run = session.runs.get(s);
          if (!run) continue;
          const h = await readLock(run.conn.engine, fleet.project, env.name);
          if (!h) continue;
          await new EnvLock(run.conn.engine, fleet.project, env.name).release();
          await audit(
            run.store,
            { action: 'lock release', env: env.name, outcome: 'ok', detail: `was held by ${h.holder} (pid ${h.pid}) for "${h.command}"` },
            run.now,
          );
          released.push({ server: s, ...h });
        }
        if (opts.json) return printJson(ctx, { ok: true, released });
        ctx.stdout.write(
          released.length
            ? released.map((r) => `released the lock of ${env.name} on ${r.server} (held by ${r.holder}, pid ${r.pid}, "${r.command}")\n`).join('')
            : `${env.name} was not locked\n`,
        );
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
    .action(async (name: string, opts: { env?: string; file: string; json?: boolean }) => {
      if (!/^[A-Za-z0-9._/-]+$/.test(name)) throw new UserError(`invalid secret name "${name}"`, 'use letters, digits, ".", "_", "-" and "/"');
      const { fleet } = requireFleet(ctx, opts);
      const servers = opts.env ? serversOfEnv(fleet, envByName(fleet, opts.env).name) : fleet.servers.map((s) => s.name);
      const value = ((await ctx.stdin?.()) ?? '').replace(/\r?\n$/, '');
      if (!value) throw new UserError('no secret value on standard input', `e.g. printf %s "$VALUE" | slipway secret set ${name}`);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        for (const run of session.runs.values()) {
          await run.store.setSecret(name, value, opts.env);
          // A basic-auth password takes effect at once.
          if (authSecrets(run.state).includes(name))
            await reloadProxy(run, await proxyInputs(run)).catch((e: Error) => run.report.warn(`proxy not reloaded: ${e.message}`));
        }
        if (opts.json) return printJson(ctx, { ok: true, name, env: opts.env ?? null, servers: [...session.runs.keys()] });
        ctx.stdout.write(`secret ${name}${opts.env ? ` (${opts.env})` : ''} set on ${[...session.runs.keys()].join(', ')}\n`);
      });
    });
  secret
    .command('rm')
    .description('Remove secret NAME (for ENV only with --env) from every server')
    .argument('<name>', 'secret name', secretName)
    .option('--env <env>', 'only the value for this environment')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { env?: string; file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      const servers = opts.env ? serversOfEnv(fleet, envByName(fleet, opts.env).name) : fleet.servers.map((s) => s.name);
      await withSession(ctx, fleet, servers, { json: true }, async (session) => {
        const removed: string[] = [];
        for (const [server, run] of session.runs) if (await run.store.deleteSecret(name, opts.env)) removed.push(server);
        if (opts.json) return printJson(ctx, { ok: true, name, env: opts.env ?? null, removedFrom: removed });
        ctx.stdout.write(
          removed.length ? `secret ${name}${opts.env ? ` (${opts.env})` : ''} removed from ${removed.join(', ')}\n` : `secret ${name} was not set\n`,
        );
      });
    });
  secret
    .command('list')
    .description('List secret names per server (never values)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (opts: { file: string; json?: boolean }) => {
      const { fleet } = requireFleet(ctx, opts);
      await withSession(
        ctx,
        fleet,
        fleet.servers.map((s) => s.name),
        { json: true },
        async (session) => {
          const rows = [];
          for (const [server, run] of session.runs)
            for (const n of await run.store.listSecrets())
              rows.push({ server, name: n.replace(/^env:([^:]+):/, ''), env: /^env:([^:]+):/.exec(n)?.[1] ?? null });
          if (opts.json) return printJson(ctx, rows);
          ctx.stdout.write(
            table(
              ['SERVER', 'SECRET', 'ENV'],
              rows.map((r) => [r.server, r.name, r.env ?? '(all)']),
            ),
          );
        },
      );
    });
}
