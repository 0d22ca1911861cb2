// The `slipway` CLI: builds the command tree and is the one error boundary. User errors print
// `error: …` with a hint (or JSON with --json) and never a stack trace. Exit codes: 0 ok, 1 failed,
// 2 bad input (the command line or the fleet file).
import { Command, CommanderError } from 'commander';
import { renderDiagnostics } from '../diag/render-human.ts';
import { fileSourceReader } from '../diag/source-reader.ts';
import { processContext, type CliContext } from './context.ts';
import { ConfigError, UserError } from '../diag/errors.ts';
import { registerCommands } from './commands/index.ts';
import { exitCodeOf } from './exit.ts';
import { addGlobalOptions, commandPath } from './global-options.ts';

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const json = wantsJson(argv);
  let failedAt = 'slipway';
  const program = new Command('slipway')
    .description('Deploy several apps in several isolated environments onto a few Docker servers, with zero downtime.')
    .version('0.1.0')
    .allowExcessArguments(false)
    // Commander's own error text is reformatted by handleError (one line and a hint, or JSON).
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s), outputError: () => undefined })
    .addHelpText('after', '\n--file, --json and --server go before or after the command. Fleet file: --file, else $SLIPWAY_FILE, else ./slipway.yaml.\n');
  registerCommands(program, ctx);
  addGlobalOptions(program);
  const withExitOverride = (cmd: Command): void => {
    cmd.exitOverride((err) => {
      failedAt = commandPath(cmd);
      throw err;
    });
    cmd.commands.forEach(withExitOverride);
  };
  withExitOverride(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(program);
  } catch (e) {
    return handleError(e, ctx, json, failedAt);
  }
}

/** --json anywhere before a `--` (after it, the words belong to `exec`'s command). */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

function handleError(e: unknown, ctx: CliContext, json: boolean, failedAt: string): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || (e.code === 'commander.help' && e.exitCode === 0)) return 0;
    return printUserError(ctx, json, commanderMessage(e, failedAt), 2);
  }
  if (e instanceof ConfigError) {
    if (json) ctx.stdout.write(`${JSON.stringify({ ok: false, diagnostics: e.diagnostics }, null, 2)}\n`);
    else ctx.stderr.write(`${renderDiagnostics(e.diagnostics, fileSourceReader(), { color: ctx.color })}\n`);
    return e.exitCode;
  }
  if (e instanceof UserError) return printUserError(ctx, json, { message: e.message, hint: e.hint }, e.exitCode);
  const err = e as Error & { hint?: string; server?: string };
  printUserError(ctx, json, { message: err?.message ?? String(e), hint: err?.hint }, 1);
  if (ctx.env.SLIPWAY_DEBUG) ctx.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}

function printUserError(ctx: CliContext, json: boolean, err: { message: string; hint?: string }, code: number): number {
  if (json) ctx.stdout.write(`${JSON.stringify({ ok: false, error: err.message, ...(err.hint ? { hint: err.hint } : {}) }, null, 2)}\n`);
  else ctx.stderr.write(`error: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ''}`);
  return code;
}

/** Commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line and a hint. */
function commanderMessage(e: CommanderError, at: string): { message: string; hint: string } {
  const usage = `run "${at} --help" for usage`;
  if (e.code === 'commander.help') return { message: `${at === 'slipway' ? 'a command' : 'a subcommand'} is missing`, hint: usage };
  const [first = '', ...rest] = e.message.replace(/^error: /, '').split('\n');
  const guess = /\(Did you mean (.+)\?\)/.exec(rest.join(' '))?.[1];
  return { message: first, hint: guess ? `did you mean ${guess}? (${usage})` : usage };
}
