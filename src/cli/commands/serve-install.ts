// `slipway serve install [SERVER] [--admin NAME] [--json]`: runs the control plane on the server
// the fleet file names (`control_plane: { server, env, domain }`) as the fleet's `slipway` app,
// behind that environment's proxy on its own domain with its TLS (workflows/serve-install.ts).
// `--admin NAME` creates the first admin in the control plane's data volume when it has no users
// yet, with serve's own users store, the password from $SLIPWAY_ADMIN_PASSWORD or standard input
// (never echoed or logged). Registered under `serve` by registerServeInstall.
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, UsageError, UserError } from '../../diag/errors.ts';
import type { CliContext } from '../context.ts';
import { fleetPath } from '../fleet-input.ts';
import { IDENTITY_HELP } from '../identity-option.ts';
import { FILE_HELP, nonNegativeNumber } from '../option-values.ts';
import { printJson } from '../print.ts';

interface InstallOptions {
  admin?: string;
  file?: string;
  identity?: string;
  drain: string;
  json?: boolean;
}

/** Adds `install` under the program's `serve` command (register serve first). */
export function registerServeInstall(program: Command, ctx: CliContext, deps: { bcryptCost?: number } = {}): void {
  const serve = program.commands.find((c) => c.name() === 'serve');
  if (!serve) throw new Error('registerServeInstall: register the serve command first');
  // serve's own options (--admin, --json, --file) stop at `install`, which has its own.
  serve.enablePositionalOptions();
  serve
    .command('install')
    .description("Run the control plane on its server (control_plane: server, env, domain): built there, behind the environment's proxy with its TLS")
    .argument('[server]', 'the server control_plane: names (a check; default: that one)')
    .option('--admin <name>', 'create this first admin if there are no users (password from $SLIPWAY_ADMIN_PASSWORD or standard input)')
    .option('-f, --file <path>', FILE_HELP)
    .option('--identity <file>', IDENTITY_HELP)
    .option('--drain <ms>', 'time the old release keeps serving in-flight requests after the switch', nonNegativeNumber, '2000')
    .option('--json', 'print { url, image, release } as JSON')
    .addHelpText(
      'after',
      `
The fleet file says where it runs:
  control_plane:
    domain: deploy.example.com   # its own domain, with the environment's TLS
    server: vps1                 # built and run there (the image is built on the server, no registry)
    env: prod                    # whose network, proxy and TLS it uses

It is the fleet's app "slipway" (up, plan, status and deploy know it). Its data volume keeps its
users, tokens and the fleet file (copied at each install, with secrets/ and compose files);
the server's Docker socket is mounted so that it reaches its own server without SSH.
Running install again upgrades it with zero downtime and keeps the data.

Examples:
  SLIPWAY_ADMIN_PASSWORD=… slipway serve install --admin root
  slipway serve install vps1 --json
`,
    )
    .action(async (server: string | undefined, opts: InstallOptions) => {
      const { loadFleetForInstall, serveInstall } = await import('../../workflows/serve-install.ts');
      const { load, files } = loadFleetForInstall(fleetPath(ctx, opts));
      if (!load.fleet) throw new ConfigError(load.diagnostics);
      const fleet = load.fleet;
      const install = fleet.controlPlane.install;
      if (!install || !fleet.controlPlane.domain)
        throw new UserError(
          'the fleet file does not say where the control plane runs',
          `add to slipway.yaml: control_plane: { server: ${server ?? 'SERVER'}, env: ENV, domain: deploy.example.com }`,
        );
      if (server !== undefined && server !== install.server)
        throw new UsageError(
          `control_plane: runs on ${install.server}, not ${server}`,
          `run "slipway serve install ${install.server}", or change control_plane.server`,
        );
      const admin = opts.admin !== undefined ? await adminStep(ctx, opts.admin, deps.bcryptCost) : undefined;
      const res = await serveInstall(ctx, fleet, {
        bundle: bundlePath(ctx),
        files,
        drainMs: Number(opts.drain),
        ...(admin ? { admin } : {}),
        ...(opts.json ? { json: true } : {}),
        ...(opts.identity ? { identity: resolve(ctx.cwd, opts.identity) } : {}),
      });
      if (opts.json) printJson(ctx, { url: res.url, image: res.image, release: res.release, server: res.server, env: res.env, steps: res.steps });
      else ctx.stdout.write(`slipway serve: ${res.url} (release ${res.release} on ${res.server}, ${res.env}; image ${res.image})\n`);
    });
}

/** The first admin through serve's own users store, over a copy of the users document in a private temp dir. */
async function adminStep(ctx: CliContext, name: string, cost: number | undefined) {
  const { MIN_PASSWORD_LENGTH, Users } = await import('../../server/auth/users.ts');
  const { FileStore } = await import('../../server/store/file-store.ts');
  const password = (ctx.env.SLIPWAY_ADMIN_PASSWORD ?? (await ctx.stdin?.()) ?? '').replace(/\r?\n$/, '');
  if (!password) throw new UserError(`--admin ${name} needs a password`, 'set $SLIPWAY_ADMIN_PASSWORD or pipe it on standard input');
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UserError(`the password is too short (at least ${MIN_PASSWORD_LENGTH} characters)`, 'use a longer passphrase');
  const doc = 'users';
  return {
    doc: `${doc}.json`,
    update: async (current: Buffer | undefined): Promise<Buffer | undefined> => {
      const dir = mkdtempSync(join(tmpdir(), 'slipway-serve-admin-'));
      try {
        if (current) writeFileSync(join(dir, `${doc}.json`), current, { mode: 0o600 });
        const users = new Users(new FileStore(dir), { now: ctx.now, ...(cost !== undefined ? { cost } : {}) });
        if (!(await users.bootstrapAdmin(name, password))) {
          ctx.stderr.write(`--admin ${name}: there are users already; none created\n`);
          return undefined;
        }
        ctx.stderr.write(`created admin ${name}\n`);
        return readFileSync(join(dir, `${doc}.json`));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The CLI bundle the image runs: $SLIPWAY_SERVE_BUNDLE, else this bundle, else dist/slipway.cjs beside bin/. */
function bundlePath(ctx: CliContext): string {
  if (ctx.env.SLIPWAY_SERVE_BUNDLE) return resolve(ctx.cwd, ctx.env.SLIPWAY_SERVE_BUNDLE);
  // Inside the bundle (bin/bundle.mjs loads it as CommonJS), __filename is the bundle itself.
  if (typeof __filename === 'string' && __filename.endsWith('.cjs')) return __filename;
  const bin = process.argv[1] ? realpathSync(process.argv[1]) : resolve('bin/slipway.mjs');
  return resolve(dirname(bin), '..', 'dist', 'slipway.cjs');
}
