// Small files on a server over SFTP (state files, rendered configs): whole-file read and an
// atomic write (temporary file, then posix-rename over the target).
import { randomBytes } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import { SshError } from './ssh-errors.ts';
import type { SshTarget } from './ssh-exec.ts';
import { sessionOf } from './ssh-exec.ts';

const NO_SUCH_FILE = 2; // SSH_FX_NO_SUCH_FILE

async function withSftp<T>(target: SshTarget, op: string, path: string, fn: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
  const session = sessionOf(target);
  const sftp = await session.sftp();
  try {
    return await fn(sftp);
  } catch (err) {
    if (session.failed) throw session.failed;
    if (err instanceof SshError) throw err;
    throw new SshError(session.serverName, 'channel', op, `${session.serverName}: ${op} ${path} failed: ${(err as Error).message}`, path);
  } finally {
    sftp.end();
  }
}

const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));

/** The file's content, or null when it does not exist. */
export function sftpReadFile(target: SshTarget, path: string): Promise<Buffer | null> {
  return withSftp(target, 'sftpReadFile', path, async (sftp) => {
    try {
      return await call<Buffer>((cb) => sftp.readFile(path, cb));
    } catch (err) {
      if ((err as { code?: number }).code === NO_SUCH_FILE) return null;
      throw err;
    }
  });
}

/** Writes the whole file atomically (readers see the old or the new content, never a part). */
export function sftpWriteFile(target: SshTarget, path: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
  return withSftp(target, 'sftpWriteFile', path, async (sftp) => {
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await call<void>((cb) => sftp.writeFile(tmp, data, { mode: opts.mode ?? 0o600 }, cb));
      await call<void>((cb) => sftp.ext_openssh_rename(tmp, path, cb));
    } catch (err) {
      await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw err;
    }
  });
}
