// `slipway maintenance`, `slipway lock status|release` and `slipway secret set|rm|list|import|rekey`:
// argument parsing, one workflow call and a view each; the work is in workflows/ (maintenance,
// lock-admin, secrets, secrets-file-import), which the HTTP server calls too.
import { Argument, type Command, Option } from 'commander';
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
import {
  defaultSecretStore,
  listFileSecrets,
  listSecrets,
  removeFileSecret,
  removeSecret,
  type SecretStore,
  setFileSecret,
  setSecret,
} from '../../workflows/secrets.ts';
import { importIntoFile, importIntoServers, readSopsValues, rekeySecretFiles, type SecretImportResult } from '../../workflows/secrets-file-import.ts';
import { IDENTITY_HELP, secretFilesFor } from '../identity-option.ts';
import { renderLockRelease, renderLockStatus } from '../views/lock-view.ts';
import { renderSecretImport, renderSecretList, renderSecretRekey, renderSecretRemove, renderSecretSet } from '../views/secrets-view.ts';
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

  registerSecret(program, ctx);
}

interface SecretOpts extends Opts {
  env?: string;
  store?: SecretStore;
  identity?: string;
}

const STORE_HELP =
  'file: the encrypted secrets file beside the fleet file (secrets/ENV.age, or secrets/_all.age without --env); server: the servers. Default: file when the fleet file declares secrets recipients, else server';

function registerSecret(program: Command, ctx: CliContext): void {
  const secret = program
    .command('secret')
    .description('Manage secrets in the repository (age-encrypted files beside the fleet file) or on the servers (mode 0600); values are never printed');
  const storeOption = () => new Option('--store <store>', STORE_HELP).choices(['file', 'server']);
  secret
    .command('set')
    .description('Set secret NAME from standard input (for ENV only with --env), in the encrypted file or on every server that needs it')
    .argument('<name>', 'secret name', secretName)
    .option('--env <env>', 'only for this environment')
    .addOption(storeOption())
    .option('--identity <file>', IDENTITY_HELP)
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: SecretOpts) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = opts.env === undefined ? undefined : envByName(fleet, opts.env).name;
      // Wrapped as soon as it is read: only the store unwraps it (the file's encryption, or the server).
      const value = new Secret(((await ctx.stdin?.()) ?? '').replace(/\r?\n$/, ''), name);
      if (value.empty) throw new UserError('no secret value on standard input', `e.g. printf %s "$VALUE" | slipway secret set ${name}`);
      requireRedactable([value], { envName: opts.env });
      if ((opts.store ?? defaultSecretStore(fleet)) === 'file') {
        const r = await setFileSecret(secretFilesFor(ctx, fleet, opts), { name, value, env });
        if (opts.json) return printJson(ctx, { ok: true, ...r });
        return void ctx.stdout.write(renderSecretSet(r));
      }
      await withSession(ctx, fleet, secretServers(fleet, env), { json: true }, async (session) => {
        const r = await setSecret(session, { name, value, env });
        if (opts.json) return printJson(ctx, { ok: true, store: r.store, name: r.name, env: r.env, servers: r.servers });
        ctx.stdout.write(renderSecretSet(r));
      });
    });
  secret
    .command('rm')
    .description('Remove secret NAME (for ENV only with --env) from the encrypted file or from every server')
    .argument('<name>', 'secret name', secretName)
    .option('--env <env>', 'only the value for this environment')
    .addOption(storeOption())
    .option('--identity <file>', IDENTITY_HELP)
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: SecretOpts) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = opts.env === undefined ? undefined : envByName(fleet, opts.env).name;
      if ((opts.store ?? defaultSecretStore(fleet)) === 'file') {
        const r = await removeFileSecret(secretFilesFor(ctx, fleet, opts), { name, env });
        if (opts.json) return printJson(ctx, r ? { ok: true, removed: true, ...r } : { ok: true, removed: false, store: 'file', name, env: env ?? null });
        return void ctx.stdout.write(renderSecretRemove(r ?? { store: 'file', name, removed: false }));
      }
      await withSession(ctx, fleet, secretServers(fleet, env), { json: true }, async (session) => {
        const r = await removeSecret(session, { name, env });
        if (opts.json) return printJson(ctx, { ok: true, store: r.store, name: r.name, env: r.env, removedFrom: r.removedFrom });
        ctx.stdout.write(renderSecretRemove(r));
      });
    });
  secret
    .command('list')
    .description('List secret names in the encrypted files and on each server (never values); a name in both: the file wins at deploy')
    .addOption(new Option('--store <store>', 'only this store (default: both)').choices(['file', 'server']))
    .option('--identity <file>', IDENTITY_HELP)
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (opts: SecretOpts) => {
      const { fleet } = requireFleet(ctx, opts);
      const rows = opts.store === 'server' ? [] : await listFileSecrets(secretFilesFor(ctx, fleet, opts));
      if (opts.store !== 'file')
        await withSession(ctx, fleet, secretServers(fleet, undefined), { json: true }, async (session) => {
          rows.push(...(await listSecrets(session)));
        });
      if (opts.json) return printJson(ctx, rows);
      ctx.stdout.write(renderSecretList(rows));
    });
  secret
    .command('import')
    .description('Import the values of a SOPS file encrypted with age (YAML, JSON or dotenv; nested keys become a/b), its MAC checked first')
    .argument('<sops-file>', 'file written by sops --encrypt --age …')
    .option('--env <env>', 'only for this environment')
    .addOption(storeOption())
    .option('--identity <file>', `${IDENTITY_HELP}; $SOPS_AGE_KEY_FILE and $SOPS_AGE_KEY are read too`)
    .option('--skip <names>', 'comma-separated names to leave out (e.g. values too short to be secrets)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (path: string, opts: SecretOpts & { skip?: string }) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = opts.env === undefined ? undefined : envByName(fleet, opts.env).name;
      const skip = (opts.skip ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const values = await readSopsValues(path, { env: ctx.env, cwd: ctx.cwd, identityFile: opts.identity }, skip);
      const show = (r: SecretImportResult) =>
        opts.json ? printJson(ctx, { ok: true, macVerified: true, ...r }) : void ctx.stdout.write(renderSecretImport(r));
      if ((opts.store ?? defaultSecretStore(fleet)) === 'file') return show(await importIntoFile(secretFilesFor(ctx, fleet, opts), values, env));
      await withSession(ctx, fleet, secretServers(fleet, env), { json: true }, async (session) => show(await importIntoServers(session, values, env)));
    });
  secret
    .command('rekey')
    .description("Re-encrypt the secrets files (or ENV's) to the recipients the fleet file declares now (after adding or removing someone)")
    .option('--env <env>', "only this environment's file")
    .option('--identity <file>', IDENTITY_HELP)
    .option('-f, --file <path>', FILE_HELP)
    .option('--json', 'print as JSON')
    .action(async (opts: SecretOpts) => {
      const { fleet } = requireFleet(ctx, opts);
      const env = opts.env === undefined ? undefined : envByName(fleet, opts.env).name;
      const r = await rekeySecretFiles(secretFilesFor(ctx, fleet, opts), env);
      if (opts.json) return printJson(ctx, { ok: true, ...r });
      ctx.stdout.write(renderSecretRekey(r));
    });
}

/** The servers of ENV, or every server. */
function secretServers(fleet: Fleet, env: string | undefined): string[] {
  return env === undefined ? fleet.servers.map((s) => s.name) : serversOfEnv(fleet, env);
}
