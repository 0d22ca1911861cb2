// The live part of `slipway serve`: background jobs (deploy, rollback, backup verify) whose steps
// stream as server-sent events, live logs per process, and the release history with what changed.
// liveServePart builds it over the CLI's workflows (live/workflow-live-port.ts); livePart takes any
// LivePort (tests give a fake). Stopping serve aborts running verifications and ends every open
// stream (the HTTP server waits for open connections before it closes).
import type { ServePart, ServePartFactory, ServePartInput } from '../serve-part.ts';
import { Jobs } from '../jobs/jobs.ts';
import type { LivePort } from '../live/live-port.ts';
import { createWorkflowLivePort, type LivePortStats } from '../live/workflow-live-port.ts';
import { liveRoutes } from '../routes/live-routes.ts';
import { LiveStreams } from '../routes/live-sse.ts';

export interface LivePartOptions {
  now: () => number;
  /** The control plane's log (each job step goes there too). */
  log?: (line: string) => void;
  heartbeatMs?: number;
  jobLimit?: number;
  maxSteps?: number;
  newJobId?: () => string;
}

/** The part, and what tests look at: its jobs and the streams open. */
export interface LivePart extends ServePart {
  jobs: Jobs;
  streams: LiveStreams;
}

export function livePart(port: LivePort, o: LivePartOptions): LivePart {
  const jobs = new Jobs({
    now: o.now,
    ...(o.log ? { log: o.log } : {}),
    ...(o.jobLimit !== undefined ? { limit: o.jobLimit } : {}),
    ...(o.maxSteps !== undefined ? { maxSteps: o.maxSteps } : {}),
    ...(o.newJobId ? { newId: o.newJobId } : {}),
  });
  const streams = new LiveStreams();
  return {
    name: 'live',
    jobs,
    streams,
    routes: (app, s) => liveRoutes(app, s, { port, jobs, streams, ...(o.heartbeatMs !== undefined ? { heartbeatMs: o.heartbeatMs } : {}) }),
    start: async () => async () => {
      jobs.abortAll();
      streams.closeAll();
    },
  };
}

/** The live part over the workflows, with `stats()` of what it holds open (tests check nothing leaks). */
export const liveServePart = ((input: ServePartInput): LivePart & { stats(): LivePortStats } => {
  const port = createWorkflowLivePort({
    loadFleet: input.loadFleet,
    now: input.now,
    env: input.env,
    cwd: input.cwd,
    ...(input.connector ? { connector: input.connector } : {}),
    ...(input.identity ? { identity: input.identity } : {}),
  });
  const part = livePart(port, { now: input.now, log: (line) => input.log.write(`${line}\n`) });
  return { ...part, stats: port.stats };
}) satisfies ServePartFactory;
