// sshExec: runs a host command (argv) on a server over its SSH connection, for the few things
// that the Engine API cannot do. argv is quoted for the remote shell by shellQuote, and only there.
import { ExecError } from './engine-errors.ts';
import { redactSecrets, type Secret } from '../util/secret.ts';
import type { ExecResult } from './docker-engine.ts';
import { shellQuote } from './ssh-quote.ts';
import { SshSession } from './ssh-session.ts';

/** A session, or anything that carries one (the SshServerConnection from connectSsh). */
export type SshTarget = SshSession | { ssh: SshSession };

export function sessionOf(target: SshTarget): SshSession {
  return target instanceof SshSession ? target : target.ssh;
}

export interface SshExecOptions {
  /** Written to the command's stdin, which is then closed. */
  stdin?: string | Buffer;
  /** Throw ExecError when the exit code is not 0. */
  check?: boolean;
  /** Values to keep out of the ExecError (e.g. passwords in argv). */
  secrets?: readonly Secret[];
}

/**
 * Runs argv on the server. exitCode is the command's status, or 255 when it died of a signal
 * (like ssh(1)). Rejects with an SshError when the connection is lost.
 */
export async function sshExec(target: SshTarget, argv: readonly string[], opts: SshExecOptions = {}): Promise<ExecResult> {
  const session = sessionOf(target);
  const ch = await session.execChannel(shellQuote(argv));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const result = await new Promise<ExecResult>((resolve, reject) => {
    let code: number | null = null;
    ch.on('data', (d: Buffer) => out.push(d));
    ch.stderr.on('data', (d: Buffer) => err.push(d));
    ch.on('exit', (c: number | null) => {
      code = c;
    });
    ch.on('error', (e: Error) => reject(session.failed ?? e));
    ch.on('close', () => {
      if (session.failed) return reject(session.failed);
      resolve({ exitCode: code ?? 255, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    ch.end(opts.stdin);
  });
  if (opts.check && result.exitCode !== 0) {
    const secrets = opts.secrets ?? [];
    throw new ExecError(
      argv.map((a) => redactSecrets(a, secrets)),
      session.serverName,
      result.exitCode,
      redactSecrets(result.stderr, secrets),
    );
  }
  return result;
}
