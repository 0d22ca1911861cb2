// Runs a command (argv, no shell) in the running container of one process of an app in an
// environment, and returns its exit code and output.
import { UserError } from '../diag/errors.ts';
import type { ExecResult } from '../engine/docker-engine.ts';
import { LABELS } from '../model/labels.ts';
import { existingOf } from './app-containers.ts';
import type { ServerRun } from './server-run.ts';

export interface ExecOptions {
  app: string;
  env: string;
  process: string;
  /** Which replica (default 0). */
  replica?: number;
  argv: string[];
}

export interface ExecOutcome {
  container: string;
  result: ExecResult;
}

export async function execIn(run: ServerRun, opts: ExecOptions): Promise<ExecOutcome> {
  const replica = String(opts.replica ?? 0);
  if (opts.argv.length === 0) throw new UserError('no command to run', `e.g. slipway exec ${opts.app} ${opts.env} ${opts.process} -- ls -l`);
  const c = (await existingOf(run, opts.app, opts.env)).find(
    (c) => c.state === 'running' && c.labels[LABELS.process] === opts.process && (c.labels[LABELS.replica] ?? '0') === replica,
  );
  if (!c) throw new UserError(`no running container of ${opts.app}/${opts.process} (replica ${replica}) in ${opts.env}`, `see: slipway status ${opts.env}`);
  return { container: c.name, result: await run.conn.engine.exec(c.id, opts.argv) };
}
