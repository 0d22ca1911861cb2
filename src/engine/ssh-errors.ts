// SshError: the SSH transport's failures (unreachable, refused key, host key unknown or changed,
// connection lost). An EngineError, so callers handle one hierarchy; its message is the detail
// alone, which always names the server and says what to do.
import { EngineError } from './engine-errors.ts';

export type SshErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'config'
  | 'lost'
  | 'closed'
  | 'channel';

export class SshError extends EngineError {
  override readonly name: string = 'SshError';
  constructor(
    server: string,
    readonly kind: SshErrorKind,
    /** Port method or step that failed: `connect`, `dial`, `exec`, `sftp`. */
    op: string,
    detail: string,
    target?: string,
  ) {
    super(server, op, target, detail);
    this.message = detail;
  }
}

/** `10 s`, `1.5 s`, `250 ms`: a timeout as people say it. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
