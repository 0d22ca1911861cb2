// bench/lib/deploy-cli.ts — runs the CLI as a child process for bench/deploy.ts with the
// deploy-cli-clock.mjs preload (`node bin/slipway.mjs …`, or a bundle through run-bundle.mjs), and
// returns its output with a timeline (epoch ms): spawn, node booted, first/last Engine API call,
// stdout written, process exit, and 'close' seen here.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BIN } from '../../test/support/cli.ts';

const CLOCK = join(import.meta.dirname, 'deploy-cli-clock.mjs');
const RUN_BUNDLE = join(import.meta.dirname, 'run-bundle.mjs');

export interface CliClock {
  spawn: number;
  boot: number;
  firstApi: number;
  lastApiEnd: number;
  apiCalls: number;
  /** Last stdout chunk received here. */
  stdout: number;
  exit: number;
  close: number;
}

export interface ClockedCliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  clock: CliClock | undefined;
}

const epoch = () => performance.timeOrigin + performance.now();

/** `bundle`: a CLI bundle (scripts/build-cli.mjs output) to run instead of bin/slipway.mjs. */
export function clockedSlipway(args: string[], cwd: string, bundle?: string): Promise<ClockedCliResult> {
  const t = epoch();
  const entry = bundle ? [RUN_BUNDLE, bundle] : [BIN];
  const child = spawn(process.execPath, ['--import', CLOCK, ...entry, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let lastOut = 0;
  child.stdout.on('data', (d) => {
    stdout += d;
    lastOut = epoch();
  });
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const close = epoch();
      const m = /^slipway-clock (.*)$/m.exec(stderr);
      const c = m ? (JSON.parse(m[1]!) as Omit<CliClock, 'spawn' | 'stdout' | 'close'>) : undefined;
      resolve({ code, stdout, stderr: stderr.replace(/^slipway-clock .*\n?/m, ''), clock: c && { ...c, spawn: t, stdout: lastOut, close } });
    });
  });
}
