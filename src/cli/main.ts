// The `slipway` CLI: builds the command tree and is the one error boundary. User errors print
// `error: …` with a hint (or JSON with --json) and never a stack trace.
import { Command, CommanderError } from 'commander';
import { renderDiagnostics } from '../diag/render-human.ts';
import { fileSourceReader } from '../diag/source-reader.ts';
import { processContext, type CliContext } from './context.ts';
import { ConfigError, UserError } from '../diag/errors.ts';
import { registerCommands } from './commands/index.ts';
import { exitCodeOf } from './exit.ts';

export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const json = argv.includes('--json');
  const program = new Command('slipway')
    .description('Deploy several apps in several isolated environments onto a few Docker servers, with zero downtime.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.stdout.write(s), writeErr: (s) => ctx.stderr.write(s) });
  registerCommands(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodeOf(program);
  } catch (e) {
    return handleError(e, ctx, json);
  }
}

function handleError(e: unknown, ctx: CliContext, json: boolean): number {
  if (e instanceof CommanderError) {
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
  }
  if (e instanceof ConfigError) {
    if (json) ctx.stdout.write(`${JSON.stringify({ ok: false, diagnostics: e.diagnostics }, null, 2)}\n`);
    else ctx.stderr.write(`${renderDiagnostics(e.diagnostics, fileSourceReader(), { color: ctx.color })}\n`);
    return e.exitCode;
  }
  if (e instanceof UserError) {
    if (json) ctx.stdout.write(`${JSON.stringify({ ok: false, error: e.message, hint: e.hint }, null, 2)}\n`);
    else ctx.stderr.write(`error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
    return e.exitCode;
  }
  const err = e as Error & { hint?: string; server?: string };
  const msg = err?.message ?? String(e);
  if (json) ctx.stdout.write(`${JSON.stringify({ ok: false, error: msg }, null, 2)}\n`);
  else ctx.stderr.write(`error: ${msg}\n${err?.hint ? `  hint: ${err.hint}\n` : ''}`);
  if (ctx.env.SLIPWAY_DEBUG) ctx.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}
