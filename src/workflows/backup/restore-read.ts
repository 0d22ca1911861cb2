// Reading a backup back for a restore: the record on the source environment's server says which
// destinations hold it complete; the first of those that answers gives the manifest (checked
// against the record: same id, project and environment) and every object, each checked where it
// lies (size and sha256 of the stored bytes, as the manifest says) before anything is changed.
// An object is then read as a stream, decrypted with the operator's age identity (never on a
// server) and measured, so the caller can confirm after its end that exactly the manifest's
// plaintext went through (object-read.ts). Memory stays bounded whatever the object's size.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Destination } from '../../backup/destination.ts';
import { backupPrefix, isBackupId, MANIFEST_KEY, objectKey } from '../../backup/layout.ts';
import { type BackupManifest, type ManifestObject, parseManifest } from '../../backup/manifest.ts';
import type { BackupRecord } from '../../backup/record.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import type { AgeIdentities } from '../../secrets/age-crypt.ts';
import type { ServerRun } from '../server-run.ts';
import { type DestinationOpener, openDestination } from './destinations/open.ts';
import { readRecord, readRecords } from './records.ts';
import { envWithPolicy } from './run-backup.ts';
import { checkStoredObject, openObject } from './object-read.ts';
import type { FleetSession } from '../fleet-session.ts';

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

export interface BackupSource {
  record: BackupRecord;
  manifest: BackupManifest;
  /** The destination the objects are read from. */
  destination: Destination;
  /** The object's plaintext as a stream, which fails instead of ending unless the manifest's bytes went through (`check()` after the consumer finished: throws unless it ended so). */
  open(obj: ManifestObject, onBytes?: (n: number) => void): Promise<{ stream: Readable; check(): Promise<void> }>;
  close(): Promise<void>;
}

/** The id `--from ID` names, or with `--latest` the newest `ok` backup of `env`. */
export async function chooseBackup(run: ServerRun, env: string, sel: { from?: string; latest?: boolean }): Promise<BackupRecord> {
  const listHint = `list them with: slipway backups ${env}`;
  if (sel.from !== undefined) {
    if (!isBackupId(sel.from)) throw new UsageError(`--from ${sel.from}: not a backup id (they look like 20250101T030000Z-1a2b)`, listHint);
    const r = await readRecord(run, env, sel.from);
    if (!r) throw new UsageError(`no backup ${sel.from} of ${env} on ${run.conn.server.name}`, listHint);
    return r;
  }
  const ok = (await readRecords(run, env)).find((r) => r.status === 'ok');
  if (!ok) throw new UserError(`${env} has no complete (ok) backup to restore`, `take one with: slipway backup ${env}`);
  return ok;
}

export async function openBackupSource(
  session: FleetSession,
  run: ServerRun,
  env: string,
  record: BackupRecord,
  ids: AgeIdentities,
  opener: DestinationOpener = openDestination,
): Promise<BackupSource> {
  const project = run.fleet.project;
  const id = record.id;
  if (record.project !== project)
    throw new UserError(`backup ${id} belongs to project ${record.project}, not ${project}`, 'restore it with the fleet file of its own project');
  if (record.env !== env)
    throw new UserError(`backup ${id} is a backup of ${record.env}, not of ${env}`, `name its environment: slipway restore ${record.env} …`);
  if (record.status !== 'ok')
    throw new UserError(
      `backup ${id} of ${env} is ${record.status}${record.error ? ` (${record.error})` : ''}: only a backup that every destination holds complete and checked is restored`,
      `pick an ok backup: slipway backups ${env}`,
    );
  const { policy } = envWithPolicy(session, env);
  const complete = record.destinations.filter((d) => d.status === 'ok').map((d) => d.name);
  const errors: string[] = [];
  for (const name of complete) {
    const conf = policy.destinations.find((d) => d.name === name);
    if (!conf) {
      errors.push(`${name}: no longer in the backup policy of ${env}`);
      continue;
    }
    let dest: Destination | undefined;
    try {
      dest = await opener(run, env, conf);
      const src = await readFrom(dest, project, env, id, record, ids);
      return src;
    } catch (e) {
      await dest?.close().catch(() => undefined);
      if (e instanceof UserError && !(e instanceof DestinationReadError)) throw e;
      errors.push(`${name}: ${firstLine(e)}`);
    }
  }
  throw new UserError(
    `backup ${id} of ${env} cannot be read from any destination that holds it:\n  ${errors.join('\n  ')}`,
    'fix the destination named above, or pick another backup',
  );
}

/** A destination that cannot serve the backup (the next one is tried). */
class DestinationReadError extends UserError {}

async function readFrom(dest: Destination, project: string, env: string, id: string, record: BackupRecord, ids: AgeIdentities): Promise<BackupSource> {
  const where = `${dest.name} (${dest.where})`;
  const mkey = objectKey(project, env, id, MANIFEST_KEY);
  let manifest: BackupManifest;
  try {
    const text = Buffer.concat(await (await dest.get(mkey)).toArray()).toString('utf8');
    manifest = parseManifest(text, `${dest.name}:${mkey}`);
  } catch (e) {
    throw new DestinationReadError(`reading the manifest: ${firstLine(e)}`);
  }
  if (manifest.id !== id || manifest.project !== project || manifest.env !== env)
    throw new UserError(
      `the manifest of backup ${id} in ${where} is for ${manifest.project}/${manifest.env}/${manifest.id}`,
      'the destination holds another backup under this name: do not restore it',
    );
  // The identity must open it: its public key is one of the manifest's recipients.
  if (!ids.publicKeys.some((k) => manifest.recipients.includes(k)))
    throw new UserError(
      `the age identity from ${ids.from} (${ids.publicKeys.join(', ')}) is not a recipient of backup ${id} (encrypted to ${manifest.recipients.join(', ')})`,
      'give the identity of one of those recipients with --identity FILE or SLIPWAY_AGE_KEY',
    );
  // Every object is there, whole, before anything is changed.
  const listed = new Map(
    (await dest.list(backupPrefix(project, env, id)).catch((e) => Promise.reject(new DestinationReadError(firstLine(e))))).map((o) => [o.key, o.size]),
  );
  for (const o of manifest.objects) {
    const key = objectKey(project, env, id, o.key);
    if (listed.get(key) !== o.size)
      throw new DestinationReadError(`${o.key} is ${listed.has(key) ? `${listed.get(key)} bytes, the manifest says ${o.size}` : 'missing'}`);
  }
  // Streams a failed consumer left half read: destroyed on close, so their readers end too.
  const opened = new Set<Readable>();
  return {
    record,
    manifest,
    destination: dest,
    close: async () => {
      for (const s of opened) if (!s.readableEnded) s.destroy();
      await dest.close();
    },
    // object-read.ts: decrypted as a stream that fails instead of ending unless the manifest's figures matched.
    open: async (obj, onBytes) => {
      const stream = await openObject(dest, objectKey(project, env, id, obj.key), obj, ids, {
        label: `backup ${id} of ${env}`,
        recipients: manifest.recipients,
        skipStat: true,
        ...(onBytes ? { onBytes } : {}),
      });
      opened.add(stream);
      // A consumer may not notice that its input stopped short: check() says so.
      let failed: Error | undefined;
      stream.on('error', (e) => {
        failed ??= e;
      });
      return {
        stream,
        check: async () => {
          if (failed) throw failed;
          // pg_restore and tar stop reading at their format's end: the rest (padding) is read here,
          // so the stream reaches its end, where the figures are compared, and the reader exits.
          if (!stream.readableEnded) {
            stream.unpipe();
            stream.resume();
            await finished(stream).catch(() => undefined);
          }
          if (failed) throw failed;
          if (!stream.readableEnded) throw new Error(`${obj.key} of backup ${id} was not read to its end`);
        },
      };
    },
  };
}

/** Size and sha256 of every object as the destination holds it, against the manifest: nothing is changed before this passes. */
export async function checkStored(src: BackupSource, project: string, env: string): Promise<void> {
  for (const o of src.manifest.objects) await checkStoredObject(src.destination, objectKey(project, env, src.manifest.id, o.key), o);
}
