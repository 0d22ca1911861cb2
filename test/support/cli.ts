// Runs the real `slipway` CLI as a child process (as a user would), capturing its output.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'slipway.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Everything the CLI printed in this test file (for "secrets never appear in output" checks). */
export const transcript: string[] = [];

export function startSlipway(
  args: string[],
  opts: { cwd: string; env?: Record<string, string>; input?: string },
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdin!.end(opts.input ?? '');
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      transcript.push(`$ slipway ${args.join(' ')}\n${stdout}${stderr}`);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

export function slipway(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  return startSlipway(args, opts).done;
}

/** Runs and throws with the whole output when the exit code is not 0. */
export async function slipwayOk(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  const r = await slipway(args, opts);
  if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} exited ${r.code ?? r.signal}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  return r;
}
