// LivePort: what the live part of the API (background jobs, live logs, release history) asks of
// the fleet. The real implementation (workflow-live-port.ts) runs the CLI's own workflows over a
// fleet session per call; tests use fake-live-port.ts. The routes do authentication,
// authorization, validation, audit and the streams; the port does the work.
import type { Output } from '../../util/output.ts';

export interface DeployJobRequest {
  app: string;
  env: string;
  ref?: string;
  image?: string;
  /** Who asked (a user name or `token NAME`). */
  by: string;
}

export interface RollbackJobRequest {
  app: string;
  env: string;
  /** A release id; the previous good release when absent. */
  release?: string;
  by: string;
}

export interface VerifyJobRequest {
  env: string;
  /** A backup id; the newest complete backup when absent. */
  backup?: string;
  by: string;
}

export interface LogsRequest {
  app: string;
  env: string;
  process?: string;
  /** Last lines per container first, then new ones. */
  tail: number;
}

/** One log line as the stream sends it. */
export interface LiveLogLine {
  process: string;
  container: string;
  /** Absent: the engine's log stream merges stdout and stderr (see the report of issue 13). */
  stream?: 'stdout' | 'stderr';
  text: string;
}

export interface LogHandlers {
  onLine(line: LiveLogLine): void;
  /** The app has running containers and the stream begins (errors before it are answered as JSON). */
  onReady(): void;
  /** A note for the viewer (the containers were replaced; following the new ones). */
  onInfo?(text: string): void;
}

export interface ReleaseChanges {
  image?: { from: string; to: string };
  git?: { from: string; to: string; commits: { sha: string; subject: string }[]; truncated?: boolean; unavailable?: string };
  fleet?: string[];
}

export interface ReleaseView {
  app: string;
  id: string;
  image: string;
  ref?: string;
  sha?: string;
  /** When it was deployed (ISO 8601). */
  at: string;
  by: string;
  status: 'live' | 'previous' | 'failed' | 'rolled-back';
  current: boolean;
  note?: string;
  /** Against the release before it (the next older one that went live); empty for the first. */
  changes: ReleaseChanges;
}

export interface LivePort {
  /** Progress lines go to `out`; resolves with the deploy's result. */
  deploy(req: DeployJobRequest, out: Output): Promise<unknown>;
  rollback(req: RollbackJobRequest, out: Output): Promise<unknown>;
  /** Aborting `signal` stops the verification (its throwaways are removed). */
  backupVerify(req: VerifyJobRequest, out: Output, signal: AbortSignal): Promise<unknown>;
  /**
   * Follows the logs of the app's running containers until `signal` aborts (across releases:
   * when the containers are replaced, the new ones are followed). Rejects before onReady when
   * there is nothing to follow; resolves soon after `signal` aborts, whatever the transport does.
   */
  followLogs(req: LogsRequest, h: LogHandlers, signal: AbortSignal): Promise<void>;
  /** Newest first. */
  releases(req: { app: string; env: string }): Promise<ReleaseView[]>;
}
