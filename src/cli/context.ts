// CliContext: everything a command touches from the outside world, passed in (no singletons),
// so commands can be run in-process by tests with captured output.

import { createInterface } from 'node:readline/promises';
import type { Output } from '../util/output.ts';
export type { Output };

import type { Connector } from '../engine/connect.ts';

export interface CliContext {
  stdout: Output;
  stderr: Output;
  cwd: string;
  env: Record<string, string | undefined>;
  color: boolean;
  /** Clock for timings and polling. */
  now: () => number;
  /** How to reach servers; tests inject a harness connector. Default: local socket or SSH. */
  connector?: Connector;
  /** Standard input, for secrets (`secret set`). */
  stdin?: () => Promise<string>;
  /** Asks a yes/no question on the terminal (`down`); absent when standard input is not a terminal. */
  confirm?: (question: string) => Promise<boolean>;
}

export function processContext(): CliContext {
  // A reader that goes away (`slipway status | head`) must not crash a command with a stack, nor
  // stop a deploy half way: what is written after that is dropped, and the command runs to its end.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreClosedPipe);
  return {
    stdout: { write: (t) => void process.stdout.write(t) },
    stderr: { write: (t) => void process.stderr.write(t) },
    cwd: process.cwd(),
    env: process.env,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    now: () => Date.now(),
    stdin: readStdin,
    ...(process.stdin.isTTY ? { confirm: askTerminal } : {}),
  };
}

function ignoreClosedPipe(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
}

async function askTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
