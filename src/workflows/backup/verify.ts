// `slipway backup verify [ID|--latest] [ENV]`: proves a backup restorable. From a destination that
// holds it complete (the first such in the policy's order, or --from NAME), every object is checked
// against the manifest where it lies (size, sha256) before use, streamed back and decrypted with
// the operator's age identity (object-read.ts), and restored into throwaways on the environment's
// server (throwaway.ts): a Postgres of the dump's major version whose every table's row count and
// checksum must equal the manifest's, a Redis where every key must RESTORE and the key count match;
// a volume's files are listed from its archive with sizes and sha256. Every mismatch is named (the
// table, the key, the file). The result, its duration and the destination are recorded on the
// server in the backup's record (`verified_at` when it passed), which `slipway backups` shows.
// The throwaways are removed in a `finally` (Ctrl-C included, through `signal`), and those a killed
// run left are removed first. No environment lock: nothing of the environment is touched, and a
// verify that takes as long as a restore must not hold deploys back.
import type { Readable } from 'node:stream';
import type { Destination } from '../../backup/destination.ts';
import { MANIFEST_KEY, objectKey } from '../../backup/layout.ts';
import type { BackupManifest, ManifestObject } from '../../backup/manifest.ts';
import { parseManifest } from '../../backup/manifest.ts';
import { compareTables } from '../../backup/pg-checksums.ts';
import type { BackupRecord, BackupVerification } from '../../backup/record.ts';
import type { BackupPolicy } from '../../config/backup-policy.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import type { AgeIdentities } from '../../secrets/age-crypt.ts';
import { operator } from '../audit.ts';
import { type FleetSession, runFor } from '../fleet-session.ts';
import { type IdentityOptions, requireIdentities } from '../secrets-file-identity.ts';
import type { ServerRun } from '../server-run.ts';
import { type DestinationOpener, openDestination } from './destinations/open.ts';
import { ObjectCheckError, openObject } from './object-read.ts';
import { startProgress } from './progress.ts';
import { readRecord, readRecords, writeRecord } from './records.ts';
import { envWithPolicy } from './run-backup.ts';
import { pgMajor, pickPostgresImage, restoreAndChecksum } from './throwaway-postgres.ts';
import { restoreRedisDump } from './throwaway-redis.ts';
import { RestoreRefusedError, removeStaleThrowaways, ThrowawaySet } from './throwaway.ts';
import { compareFiles, filesOfTar } from './verify-volume.ts';

export interface VerifyOptions {
  env: string;
  /** A backup id; the newest ok or partial backup when omitted. */
  id?: string;
  /** Read from this destination only (its name in the fleet file). */
  from?: string;
  identity: IdentityOptions;
  /** Aborted on Ctrl-C: the throwaways are removed and nothing is recorded. */
  signal?: AbortSignal;
  opener?: DestinationOpener;
}

export interface VerifiedObject {
  key: string;
  kind: ManifestObject['kind'];
  label: string;
  ok: boolean;
  ms: number;
  /** What was compared: tables and rows, keys, files. */
  summary: string;
  /** What did not match, one line each (a table, a key, a file). */
  mismatches: string[];
}

export interface VerifyResult {
  id: string;
  env: string;
  server: string;
  destination: string;
  result: 'ok' | 'failed';
  /** ISO 8601, when it finished. */
  at: string;
  durationMs: number;
  objects: VerifiedObject[];
  /** Every mismatch, prefixed with its object. */
  mismatches: string[];
  /** Whether the outcome was written into the backup's record (false when the record was removed meanwhile). */
  recorded: boolean;
}

/** A verification that found a mismatch (exit 1): the message names the tables, keys or files. */
export class VerifyFailedError extends UserError {
  constructor(readonly result: VerifyResult) {
    const shown = result.mismatches.slice(0, 8);
    const more = result.mismatches.length - shown.length;
    super(
      `backup ${result.id} of ${result.env} FAILED verification (read from ${result.destination}): ${shown.join('; ')}${more > 0 ? `; and ${more} more (see --json)` : ''}`,
      'do not rely on this backup: take a new one (slipway backup), and verify the previous ones (slipway backups lists them)',
    );
    this.name = 'VerifyFailedError';
  }
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;
const fmtN = (n: number) => n.toLocaleString('en-US');

function pickRecord(records: readonly BackupRecord[], env: string, id: string | undefined): BackupRecord {
  if (id !== undefined) {
    const r = records.find((x) => x.id === id);
    if (!r) throw new UserError(`no backup ${id} of ${env} is recorded on the server`, `slipway backups ${env} lists them`);
    if (r.status === 'running') throw new UserError(`backup ${id} of ${env} is still running (or was interrupted)`, 'verify it once it is ok or partial');
    if (r.status === 'failed')
      throw new UserError(`backup ${id} of ${env} failed: no destination holds it complete`, `slipway backups ${env} lists the good ones`);
    return r;
  }
  const r = records.find((x) => x.status === 'ok' || x.status === 'partial');
  if (!r) throw new UserError(`${env} has no complete backup to verify`, `take one: slipway backup ${env}`);
  return r;
}

/** The destination to read from, opened, with the manifest it holds. */
async function openSource(
  run: ServerRun,
  opts: VerifyOptions,
  policy: BackupPolicy,
  record: BackupRecord,
): Promise<{ dest: Destination; manifest: BackupManifest; others: Destination[] }> {
  const complete = new Set(record.destinations.filter((d) => d.status === 'ok').map((d) => d.name));
  let candidates = policy.destinations.filter((d) => complete.has(d.name));
  if (opts.from !== undefined) {
    const d = policy.destinations.find((x) => x.name === opts.from);
    if (!d) throw new UsageError(`--from ${opts.from}: ${opts.env}'s backups go to ${policy.destinations.map((x) => x.name).join(', ')}`, 'name one of those');
    if (!complete.has(d.name))
      throw new UserError(`backup ${record.id} of ${opts.env} is not complete in ${d.name}`, `it is complete in: ${[...complete].join(', ') || 'none'}`);
    candidates = [d];
  }
  const open = opts.opener ?? openDestination;
  const tried: string[] = [];
  const opened: Destination[] = [];
  for (const c of candidates) {
    let d: Destination;
    try {
      d = await open(run, opts.env, c);
    } catch (e) {
      tried.push(`${c.name}: ${firstLine(e)}`);
      continue;
    }
    opened.push(d);
    const key = objectKey(run.fleet.project, opts.env, record.id, MANIFEST_KEY);
    try {
      const body = Buffer.concat(await (await d.get(key)).toArray());
      const manifest = parseManifest(body.toString('utf8'), `${d.name}:${key}`);
      if (manifest.id !== record.id || manifest.env !== opts.env || manifest.project !== run.fleet.project)
        throw new Error(`the manifest is for ${manifest.project}/${manifest.env}/${manifest.id}`);
      return { dest: d, manifest, others: opened.filter((x) => x !== d) };
    } catch (e) {
      tried.push(`${c.name}: ${firstLine(e)}`);
      run.report.warn(`cannot read the manifest of ${record.id} from ${c.name}: ${firstLine(e)}`);
    }
  }
  await Promise.all(opened.map((d) => d.close().catch(() => undefined)));
  throw new UserError(
    `no destination could give backup ${record.id} of ${opts.env}${tried.length ? ` (${tried.join('; ')})` : ''}`,
    opts.from ? 'try another destination (--from NAME)' : 'check the destinations named above',
  );
}

async function verifyObject(
  run: ServerRun,
  set: ThrowawaySet,
  dest: Destination,
  manifest: BackupManifest,
  o: ManifestObject,
  ids: AgeIdentities,
): Promise<Omit<VerifiedObject, 'ms' | 'label' | 'key' | 'kind'>> {
  const label = `backup ${manifest.id} of ${manifest.env}`;
  const progress = startProgress(run.report, o.key, run.now, o.plainSize);
  let plain: Readable | undefined;
  try {
    plain = await openObject(dest, objectKey(manifest.project, manifest.env, manifest.id, o.key), o, ids, {
      label,
      recipients: manifest.recipients,
      onBytes: (n) => progress.update(n),
    });
    if (o.kind === 'postgres') {
      const pg = o.postgres;
      if (!pg) throw new ObjectCheckError(`${o.key}: the manifest says nothing of its tables`, o.key, dest.name);
      const major = pgMajor(pg.serverVersionNum);
      const image = await pickPostgresImage(run, pg.image, major);
      const got = await restoreAndChecksum(set, image, plain, `${o.key}`);
      if (pgMajor(got.serverVersionNum) !== major)
        throw new UserError(
          `${o.key}: the throwaway ${image} runs Postgres ${got.serverVersion}, the dump is from ${pg.serverVersion}`,
          `put postgres:${major} on the server`,
        );
      const mismatches = compareTables(pg.tables, got.tables);
      const rows = pg.tables.filter((t) => t.kind === 'table').reduce((n, t) => n + t.rows, 0);
      return {
        ok: mismatches.length === 0,
        mismatches,
        summary: `${pg.tables.filter((t) => t.kind === 'table').length} tables (${fmtN(rows)} rows), ${pg.tables.filter((t) => t.kind === 'sequence').length} sequences, large objects: restored into ${image} (${got.serverVersion})`,
      };
    }
    if (o.kind === 'redis') {
      const rd = o.redis;
      if (!rd) throw new ObjectCheckError(`${o.key}: the manifest says nothing of its keys`, o.key, dest.name);
      const got = await restoreRedisDump(set, rd.image, plain, o.key);
      const mismatches = got.refused.map((f) => `redis ${rd.service} db ${rd.db}: key ${JSON.stringify(f.key)} refused by RESTORE (${f.error})`);
      if (got.refusedCount > got.refused.length) mismatches.push(`redis ${rd.service} db ${rd.db}: ${got.refusedCount - got.refused.length} more keys refused`);
      if (got.lines !== rd.keys) mismatches.push(`redis ${rd.service} db ${rd.db}: the dump holds ${got.lines} keys, the manifest says ${rd.keys}`);
      else if (got.restored + got.refusedCount !== rd.keys)
        mismatches.push(`redis ${rd.service} db ${rd.db}: ${got.restored} keys after the restore, the manifest says ${rd.keys}`);
      return { ok: mismatches.length === 0, mismatches, summary: `${fmtN(got.restored)} keys restored into ${rd.image}` };
    }
    const vol = o.volume;
    if (!vol) throw new ObjectCheckError(`${o.key}: the manifest says nothing of its files`, o.key, dest.name);
    const files = await filesOfTar(plain);
    const mismatches = compareFiles(vol.files, files).map((m) => `volume ${vol.volume}: ${m}`);
    const bytes = files.reduce((n, f) => n + f.size, 0);
    return { ok: mismatches.length === 0, mismatches, summary: `${fmtN(files.length)} files (${fmtN(bytes)} bytes) with their sha256` };
  } finally {
    progress.stop();
    // A restore that stopped early (a mismatch, Ctrl-C) must not leave the destination's reader waiting.
    plain?.destroy();
  }
}

const labelOf = (o: ManifestObject) =>
  o.kind === 'postgres' && o.postgres
    ? `postgres ${o.postgres.database}`
    : o.kind === 'redis' && o.redis
      ? `redis ${o.redis.service} db ${o.redis.db}`
      : o.kind === 'volume' && o.volume
        ? `volume ${o.volume.volume}`
        : o.key;

/** Raised when the signal aborts: nothing recorded, the throwaways removed. */
export class VerifyInterruptedError extends UserError {
  constructor(id: string) {
    super(`verification of ${id} interrupted: nothing recorded, the throwaway containers were removed`, 'run it again', 130);
    this.name = 'VerifyInterruptedError';
  }
}

export async function verifyBackup(session: FleetSession, opts: VerifyOptions): Promise<VerifyResult> {
  const { env, policy } = envWithPolicy(session, opts.env);
  const run = runFor(session, env.server);
  const report = run.report;
  const ids = await requireIdentities(opts.identity, `verifying a backup of ${env.name}`);
  const record = pickRecord(await readRecords(run, env.name), env.name, opts.id);
  const t0 = run.now();
  const { dest, manifest, others } = await report.step(`read the manifest of ${record.id}`, () => openSource(run, opts, policy, record));
  await Promise.all(others.map((d) => d.close().catch(() => undefined)));
  report.info(`  from ${dest.name} (${dest.where}): ${manifest.objects.length} object(s)`);
  const set = new ThrowawaySet(run, env.name, 'verify');
  const onAbort = () => void set.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) throw new VerifyInterruptedError(record.id);
  const objects: VerifiedObject[] = [];
  try {
    const stale = await removeStaleThrowaways(run, env.name);
    if (stale.containers + stale.volumes > 0)
      report.info(`  removed ${stale.containers} container(s) and ${stale.volumes} volume(s) an interrupted verify left`);
    for (const o of manifest.objects) {
      const label = labelOf(o);
      const s0 = run.now();
      let r: Omit<VerifiedObject, 'ms' | 'label' | 'key' | 'kind'>;
      try {
        r = await report.step(`verify ${label}`, () => verifyObject(run, set, dest, manifest, o, ids));
      } catch (e) {
        if (opts.signal?.aborted) throw new VerifyInterruptedError(record.id);
        // A damaged object is this backup's failure; anything else (a wrong key, no image) stops the verify unrecorded.
        if (!(e instanceof ObjectCheckError) && !(e instanceof RestoreRefusedError)) throw e;
        r = { ok: false, mismatches: [firstLine(e)], summary: 'not restored' };
      } finally {
        await set.removeAll();
      }
      if (opts.signal?.aborted) throw new VerifyInterruptedError(record.id);
      objects.push({ key: o.key, kind: o.kind, label, ms: run.now() - s0, ...r });
      report.info(
        r.ok ? `  ✓ ${label}: ${r.summary} match the manifest` : `  ✗ ${label}: ${r.mismatches.length} mismatch(es): ${r.mismatches.slice(0, 3).join('; ')}`,
      );
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await set.removeAll();
    // A volume is refused while the engine still removes its container: once more, a moment later.
    for (let i = 0; i < 5 && set.pending > 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await set.removeAll();
    }
    if (set.pending > 0) report.warn(`${set.pending} throwaway container(s)/volume(s) could not be removed: the next verify of ${env.name} removes them`);
    await dest.close().catch(() => undefined);
  }
  const durationMs = run.now() - t0;
  const at = new Date(run.now()).toISOString();
  const mismatches = objects.flatMap((o) => o.mismatches);
  const result: VerifyResult = {
    id: record.id,
    env: env.name,
    server: run.conn.server.name,
    destination: dest.name,
    result: mismatches.length === 0 ? 'ok' : 'failed',
    at,
    durationMs,
    objects,
    mismatches,
    recorded: false,
  };
  result.recorded = await report.step('record the verification', () => recordVerification(run, env.name, record.id, result));
  if (!result.recorded) report.warn(`backup ${record.id} of ${env.name} was removed while it was verified (prune?): the result is not recorded`);
  if (result.result !== 'ok') throw new VerifyFailedError(result);
  return result;
}

/** Writes the outcome into the backup's record, read afresh (false when the record is gone). */
async function recordVerification(run: ServerRun, env: string, id: string, r: VerifyResult): Promise<boolean> {
  run.store.forget();
  const current = await readRecord(run, env, id);
  if (!current) return false;
  const verification: BackupVerification = {
    at: r.at,
    durationMs: r.durationMs,
    result: r.result,
    destination: r.destination,
    ...(r.mismatches.length ? { detail: r.mismatches.slice(0, 20).join('; ').slice(0, 2000) } : {}),
    by: run.store.actor ?? operator(),
  };
  await writeRecord(run, { ...current, verification, ...(r.result === 'ok' ? { verifiedAt: r.at } : {}) });
  return true;
}
