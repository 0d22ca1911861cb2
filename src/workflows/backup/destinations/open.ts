// Opens the destinations of an environment's backup policy on one server run: `local` (the
// server's backup volume), `sftp` and `s3` (credentials read from the server's secrets, scoped to
// the environment first). A destination that cannot be opened (a secret not set) is reported by
// name and hint, before any data is read.
import type { Destination } from '../../../backup/destination.ts';
import type { BackupDestination } from '../../../config/backup-policy.ts';
import { UserError } from '../../../diag/errors.ts';
import type { ServerRun } from '../../server-run.ts';
import { LocalDestination } from './local.ts';

/** Tests (and callers with their own destinations) replace how a configured destination is opened. */
export type DestinationOpener = (run: ServerRun, env: string, d: BackupDestination) => Promise<Destination>;

/** An image on the server with a shell and coreutils for the local destination's helpers: the proxy's, else a service's. */
export function helperImage(run: ServerRun): string {
  const proxy = run.state.containers.find((c) => c.role === 'proxy');
  const any = proxy ?? run.state.containers.find((c) => c.role === 'service');
  if (!any) throw new UserError(`${run.conn.server.name}: no image to run backup helpers with`, 'run slipway up first (the proxy image is used)');
  return any.image;
}

export const openDestination: DestinationOpener = async (run, env, d) => {
  const c = d.config;
  if (c.kind === 'local')
    return new LocalDestination({ engine: run.conn.engine, project: run.fleet.project, helperImage: helperImage(run), name: d.name, env });
  if (c.kind === 'sftp') return new (await import('./sftp.ts')).SftpDestination(d.name, c);
  const accessKeyId = await run.store.getSecret(c.accessKeySecret, env);
  const secretAccessKey = await run.store.getSecret(c.secretKeySecret, env);
  const missing = [!accessKeyId && c.accessKeySecret, !secretAccessKey && c.secretKeySecret].filter(Boolean);
  if (!accessKeyId || !secretAccessKey)
    throw new UserError(
      `backup destination ${d.name}: secret ${missing.join(' and ')} not set on ${run.conn.server.name}`,
      `set it with: slipway secret set ${missing[0]} --env ${env}`,
    );
  return new (await import('./s3.ts')).S3Destination(d.name, c, { accessKeyId, secretAccessKey });
};
