// CliContext: everything a command touches from the outside world, passed in (no singletons),
// so commands can be run in-process by tests with captured output.

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
}

export function processContext(): CliContext {
  return {
    stdout: { write: (t) => void process.stdout.write(t) },
    stderr: { write: (t) => void process.stderr.write(t) },
    cwd: process.cwd(),
    env: process.env,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    now: () => Date.now(),
    stdin: readStdin,
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
