// Fleet sessions for the control plane's parts (schedules, operational read-only data), opened as
// workflow-ops.ts opens them: the fleet runtime's withSession with the part's log for progress,
// its clock, connector, environment and --identity. A part never keeps a session open between
// operations: each job run or listing connects, works and closes.
import type { Fleet } from '../../config/fleet.ts';
import { type FleetSession, type SessionIO, withSession } from '../../workflows/fleet-session.ts';
import type { ServePartInput } from '../serve-part.ts';

export type PartSessionInput = Pick<ServePartInput, 'log' | 'now' | 'connector' | 'env' | 'cwd' | 'identity'>;

export interface SessionOptions {
  /** Unreachable servers are listed in `session.failures` instead of failing the whole session. */
  partial?: boolean;
  /** No progress lines (read-only listings). */
  quiet?: boolean;
}

export type PartSessions = <T>(fleet: Fleet, servers: readonly string[], opts: SessionOptions, fn: (s: FleetSession) => Promise<T>) => Promise<T>;

export function partSessions(input: PartSessionInput): PartSessions {
  const io: SessionIO = {
    stderr: input.log,
    now: input.now,
    env: input.env,
    cwd: input.cwd,
    ...(input.connector ? { connector: input.connector } : {}),
  };
  return (fleet, servers, opts, fn) =>
    withSession(
      io,
      fleet,
      servers,
      { json: opts.quiet === true, ...(opts.partial ? { partial: true } : {}), ...(input.identity ? { identity: input.identity } : {}) },
      fn,
    );
}
