// Runs the repo's infrastructure scripts and docker commands for integration tests (argv only).
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (two levels above this file). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A harness command failed: the message says what to run or read to fix it. */
export class HarnessError extends Error {
  constructor(
    message: string,
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'HarnessError';
  }
}

export interface RunResult {
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Text written to the child's stdin. */
  input?: string;
}

/** Runs argv[0] with argv[1..]; resolves on exit 0, rejects with a HarnessError otherwise. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('run: empty argv');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: opts.cwd ?? REPO_ROOT,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const ms = Date.now() - started;
        if (!err) return resolve({ stdout, stderr, ms });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        const code = typeof e.code === 'number' ? e.code : null;
        const why = e.killed ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : code !== null ? `exit ${code}` : String(e.code ?? e.message);
        const tail = stderr.trim().split('\n').slice(-15).join('\n');
        reject(new HarnessError(`${argv.join(' ')}: ${why}${tail ? `\n${tail}` : ''}`, argv, code, stderr));
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Runs scripts/<name> (bash) from the repository root. */
export function runScript(name: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
  return run(['bash', join(REPO_ROOT, 'scripts', name), ...args], opts);
}
