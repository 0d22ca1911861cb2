// `slipway serve [--dev] [--host H] [--port N] [--data DIR] [--admin NAME] [-f FILE] [--json]`:
// runs the control plane's HTTP API until SIGINT/SIGTERM. Its own data (users, sessions, tokens,
// the API audit log) is kept in DIR. `--dev` is for a laptop: loopback only, and the session cookie without Secure (plain
// HTTP). `--admin NAME` creates the first admin when there are no users yet, with the password
// from $SLIPWAY_ADMIN_PASSWORD or standard input (never echoed or logged).
// The fleet operations behind the API are injected by whoever registers the command: the CLI
// registers `workflowServeOps` (server/workflow-ops.ts: the same workflows as deploy, rollback,
// maintenance and status, the fleet file re-read on every request).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError, UserError } from '../../diag/errors.ts';
import type { ControlPlaneOps } from '../../server/ops.ts';
import type { ServePart, ServePartFactory } from '../../server/serve-part.ts';
import type { FileStore } from '../../server/store/file-store.ts';
import type { CliContext } from '../context.ts';
import { fleetPath, requireFleet } from '../fleet-input.ts';
import { IDENTITY_HELP } from '../identity-option.ts';
import { FILE_HELP, nonNegativeInteger } from '../option-values.ts';
import { printJson } from '../print.ts';

export const DEFAULT_SERVE_PORT = 7780;

/** What the ops factory is told: the data directory, the fleet file and the --identity given. */
export interface ServeOpsInput {
  data: string;
  /** The fleet file (--file, else $SLIPWAY_FILE, else ./slipway.yaml), resolved. */
  file: string;
  identity?: string;
}

export interface ServeDeps {
  /** The fleet operations the API calls (the real one runs the workflows). */
  ops: (opts: ServeOpsInput) => ControlPlaneOps | Promise<ControlPlaneOps>;
  /** Stops the server when aborted; default: SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** bcrypt cost of new passwords; production's 12 unless a test lowers it. */
  bcryptCost?: number;
  /** The control plane's other parts (dashboard, webhooks, schedules, metrics); the CLI passes servePartFactories. */
  parts?: readonly ServePartFactory[];
}

interface ServeOptions {
  dev?: boolean;
  host: string;
  port: string;
  data?: string;
  admin?: string;
  file?: string;
  identity?: string;
  json?: boolean;
}

/**
 * The real ops for `slipway serve`: the fleet file must load when serve starts (its problems are
 * printed as the other commands print them); afterwards it is re-read on every request, and
 * workflow progress goes to standard error (the control plane's log).
 */
export function workflowServeOps(ctx: CliContext): ServeDeps['ops'] {
  return async ({ data, file, identity }) => {
    requireFleet(ctx, { file });
    const { createWorkflowOps } = await import('../../server/workflow-ops.ts');
    const { fleetFileLoader } = await import('../../server/ops-fleet-file.ts');
    return createWorkflowOps({
      loadFleet: fleetFileLoader(file),
      dataDir: data,
      now: ctx.now,
      reportTo: ctx.stderr,
      env: ctx.env,
      cwd: ctx.cwd,
      ...(ctx.connector ? { connector: ctx.connector } : {}),
      ...(identity ? { identity } : {}),
    });
  };
}

export function registerServe(program: Command, ctx: CliContext, deps: ServeDeps): void {
  program
    .command('serve')
    .description(
      "Run the control plane's HTTP API until SIGINT/SIGTERM: the fleet view, deploy, rollback and maintenance through the same workflows as the CLI, with users, API tokens and an audit log",
    )
    .option('--dev', 'local development: loopback only, session cookie without Secure (plain HTTP)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', `port to listen on (0: any free one)`, nonNegativeInteger, String(DEFAULT_SERVE_PORT))
    .option('--data <dir>', "the control plane's data directory (default: .slipway/serve)")
    .option('--admin <name>', 'create this first admin if there are no users (password from $SLIPWAY_ADMIN_PASSWORD or standard input)')
    .option('-f, --file <path>', `${FILE_HELP}; re-read on every request`)
    .option('--identity <file>', IDENTITY_HELP)
    .option('--json', 'print where it listens as JSON ({ url, host, port, data, dev }) once listening')
    .addHelpText(
      'after',
      `
The fleet file must be valid when serve starts; each request reads it again, so edits are seen.
Data (users, sessions, tokens, audit.jsonl) lives in --data, created 0700.
Without --dev the session cookie is Secure: serve it behind TLS (the proxy), not over plain HTTP.

API: POST /api/login, POST /api/logout, GET /api/me, GET /api/fleet,
     POST /api/envs/ENV/apps/APP/deploy {"ref"|"image"}, POST /api/envs/ENV/apps/APP/rollback {"release"},
     POST /api/envs/ENV/maintenance {"on"}, GET|POST /api/tokens, DELETE /api/tokens/ID, GET /api/audit.

Examples:
  SLIPWAY_ADMIN_PASSWORD=… slipway serve --dev --admin root     # http://127.0.0.1:${DEFAULT_SERVE_PORT}
  slipway serve --dev --port 0 --json                           # any free port; prints {"url": …}
`,
    )
    .action(async (opts: ServeOptions) => {
      const port = Number(opts.port);
      if (port > 65535) throw new UsageError(`--port ${opts.port} is not a port`, 'give 0..65535');
      if (opts.dev && !isLoopback(opts.host))
        throw new UsageError(`--dev listens on loopback only, not ${opts.host}`, 'drop --host, or run without --dev behind TLS');
      const data = resolve(ctx.cwd, opts.data ?? '.slipway/serve');
      // The server's modules (Hono, bcrypt…) load only when serve runs, not on every CLI start.
      const { createApp } = await import('../../server/app.ts');
      const { listen } = await import('../../server/listen.ts');
      const { FileStore } = await import('../../server/store/file-store.ts');
      const store = new FileStore(data);
      const file = fleetPath(ctx, opts);
      const identity = opts.identity ? resolve(ctx.cwd, opts.identity) : undefined;
      const ops = await deps.ops({ data, file, ...(identity ? { identity } : {}) });
      if (opts.admin !== undefined) await bootstrap(ctx, store, opts.admin, deps.bcryptCost);
      let url: string | undefined;
      const parts = await buildParts(ctx, deps.parts ?? [], { data, file, identity, ops, store, dev: Boolean(opts.dev), url: () => url });
      const app = createApp({
        store,
        now: ctx.now,
        ops,
        parts,
        options: { secureCookies: !opts.dev, ...(deps.bcryptCost !== undefined ? { bcryptCost: deps.bcryptCost } : {}) },
        log: (line) => ctx.stderr.write(`${line}\n`),
      });
      const server = await listen(app, { host: opts.host, port });
      url = server.url;
      const stops: (() => Promise<void>)[] = [];
      try {
        for (const part of parts) if (part.start) stops.push(await part.start());
      } catch (e) {
        await stopAll(stops);
        await server.close();
        throw e;
      }
      if (opts.json) printJson(ctx, { url: server.url, host: server.host, port: server.port, data, dev: Boolean(opts.dev) });
      else
        ctx.stdout.write(
          `slipway serve: listening on ${server.url} (data ${data})${opts.dev ? '\ndev mode: loopback only, session cookie without Secure' : ''}\n`,
        );
      await stopped(deps.signal);
      await stopAll(stops);
      await server.close();
    });
}

async function buildParts(
  ctx: CliContext,
  factories: readonly ServePartFactory[],
  p: { data: string; file: string; identity: string | undefined; ops: ControlPlaneOps; store: FileStore; dev: boolean; url: () => string | undefined },
): Promise<ServePart[]> {
  if (factories.length === 0) return [];
  const { fleetFileLoader } = await import('../../server/ops-fleet-file.ts');
  const { fleetSecretLookup } = await import('../../server/fleet-secret-lookup.ts');
  const loadFleet = fleetFileLoader(p.file);
  const io = { stderr: ctx.stderr, now: ctx.now, env: ctx.env, cwd: ctx.cwd, ...(ctx.connector ? { connector: ctx.connector } : {}) };
  const input = {
    data: p.data,
    file: p.file,
    loadFleet: async () => loadFleet(),
    ops: p.ops,
    store: p.store,
    now: ctx.now,
    env: ctx.env,
    cwd: ctx.cwd,
    ...(p.identity ? { identity: p.identity } : {}),
    ...(ctx.connector ? { connector: ctx.connector } : {}),
    log: ctx.stderr,
    url: p.url,
    dev: p.dev,
    secret: fleetSecretLookup(io, async () => loadFleet(), p.identity),
  };
  const parts: ServePart[] = [];
  for (const make of factories) parts.push(await make(input));
  return parts;
}

/** Stops the parts in reverse order; one that fails to stop does not keep the others running. */
async function stopAll(stops: (() => Promise<void>)[]): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}

async function bootstrap(ctx: CliContext, store: FileStore, name: string, cost: number | undefined): Promise<void> {
  const { Users } = await import('../../server/auth/users.ts');
  const users = new Users(store, { now: ctx.now, ...(cost !== undefined ? { cost } : {}) });
  if ((await users.list()).length > 0) {
    ctx.stderr.write(`--admin ${name}: there are users already; none created\n`);
    return;
  }
  const password = (ctx.env.SLIPWAY_ADMIN_PASSWORD ?? (await ctx.stdin?.()) ?? '').replace(/\r?\n$/, '');
  if (!password) throw new UserError(`--admin ${name} needs a password`, 'set $SLIPWAY_ADMIN_PASSWORD or pipe it on standard input');
  await users.bootstrapAdmin(name, password);
  ctx.stderr.write(`created admin ${name}\n`);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function stopped(signal: AbortSignal | undefined): Promise<void> {
  if (signal) return signal.aborted ? Promise.resolve() : new Promise((done) => signal.addEventListener('abort', () => done(), { once: true }));
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
