// Logs of one app in one environment, read from its running containers (all processes, or one):
// the last lines of each, or a follow that hands every new line to a callback until the
// containers stop or the caller aborts.
import type { Readable } from 'node:stream';
import type { ContainerSummary } from '../engine/docker-engine.ts';
import { UserError } from '../diag/errors.ts';
import { LABELS } from '../model/labels.ts';
import { existingOf } from './app-containers.ts';
import type { ServerRun } from './server-run.ts';

export interface LogsOptions {
  app: string;
  env: string;
  /** One process only (its name in the fleet). */
  process?: string;
  /** Last N lines per container. */
  tail: number;
}

export interface ContainerLogs {
  container: string;
  process: string;
  lines: string[];
}

export interface LogLine {
  container: string;
  process: string;
  line: string;
}

/** The running containers of APP (or APP/PROCESS) in ENV; a UserError when there is none. */
export async function runningContainers(run: ServerRun, opts: { app: string; env: string; process?: string }): Promise<ContainerSummary[]> {
  const containers = (await existingOf(run, opts.app, opts.env)).filter(
    (c) => c.state === 'running' && (!opts.process || c.labels[LABELS.process] === opts.process),
  );
  if (containers.length === 0)
    throw new UserError(
      `no running container of ${opts.app}${opts.process ? `/${opts.process}` : ''} in ${opts.env}`,
      `deploy it first: slipway deploy ${opts.app} ${opts.env}`,
    );
  return containers;
}

/** The last `tail` lines of each running container. */
export async function readLogs(run: ServerRun, opts: LogsOptions): Promise<ContainerLogs[]> {
  const out: ContainerLogs[] = [];
  for (const c of await runningContainers(run, opts))
    out.push({
      container: c.name,
      process: c.labels[LABELS.process] ?? '',
      lines: (await run.conn.engine.containerLogs(c.id, { tail: opts.tail })).split('\n').filter(Boolean),
    });
  return out;
}

/**
 * Streams the last `tail` lines, then every new line, of each running container to `onLine`.
 * Resolves when every stream has ended (the containers stopped) or `signal` aborted.
 */
export async function followLogs(run: ServerRun, opts: LogsOptions & { onLine: (l: LogLine) => void; signal?: AbortSignal }): Promise<void> {
  const containers = await runningContainers(run, opts);
  const streams = await Promise.all(
    containers.map(async (c) => ({ c, s: (await run.conn.engine.containerLogs(c.id, { tail: opts.tail, follow: true })) as Readable })),
  );
  const stop = () => {
    for (const { s } of streams) s.destroy();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();
  try {
    await Promise.all(
      streams.map(
        ({ c, s }) =>
          new Promise<void>((resolve) => {
            const proc = c.labels[LABELS.process] ?? '';
            let buf = '';
            s.on('data', (d: Buffer) => {
              buf += d.toString('utf8');
              const lines = buf.split('\n');
              buf = lines.pop() ?? '';
              for (const line of lines) opts.onLine({ container: c.name, process: proc, line });
            });
            s.on('end', () => resolve());
            s.on('close', () => resolve());
            s.on('error', () => resolve());
          }),
      ),
    );
  } finally {
    opts.signal?.removeEventListener('abort', stop);
  }
}
