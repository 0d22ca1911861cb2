// `slipway backup ENV`: under the environment's lock, every database, Redis DB and app volume the
// policy names is streamed (never held whole) through age to every destination, each object
// checked in each destination after its upload, and the manifest written last, only where every
// object is. The record on the server says `ok` only when every destination holds everything;
// a destination that failed is named, the others' copies are kept (`partial`). Leftovers of a
// killed earlier run are cleaned first, so no half backup is ever listed.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Destination } from '../../backup/destination.ts';
import { MANIFEST_KEY, newBackupId, objectKey, objectKeys } from '../../backup/layout.ts';
import { type BackupManifest, type ManifestObject, MANIFEST_FORMAT, serializeManifest } from '../../backup/manifest.ts';
import { type BackupRecord, type DestinationOutcome, overallStatus } from '../../backup/record.ts';
import type { BackupPolicy, BackupWhat } from '../../config/backup-policy.ts';
import type { Environment } from '../../config/fleet.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { operator } from '../audit.ts';
import { withEnvLock } from '../env-lock-run.ts';
import { type FleetSession, runFor } from '../fleet-session.ts';
import type { ServerRun } from '../server-run.ts';
import { type DestinationOpener, openDestination } from './destinations/open.ts';
import { removeLeftovers } from './leftovers.ts';
import { startPgDump, pgTarget } from './postgres-source.ts';
import { readRecords, writeRecord } from './records.ts';
import { startRedisDump } from './redis-source.ts';
import { type StoreOutcome, storeObject } from './store-object.ts';
import { envVolumes, startVolumeTar } from './volume-source.ts';

export interface BackupOptions {
  env: string;
  /** Only these kinds (`--what`); default: the policy's. */
  what?: BackupWhat[];
  lockWaitS?: number;
  /** How destinations are opened (tests inject their own). */
  opener?: DestinationOpener;
}

export interface BackupResult {
  record: BackupRecord;
  manifest: BackupManifest;
}

/** A backup that is not `ok`: exits non-zero, naming the destinations that failed. The result says what was kept. */
export class BackupIncompleteError extends UserError {
  constructor(readonly result: BackupResult) {
    const failed = result.record.destinations.filter((d) => d.status !== 'ok');
    super(
      result.record.status === 'partial'
        ? `backup ${result.record.id} of ${result.record.env} is partial: ${failed.map((d) => `${d.name} failed (${d.error})`).join('; ')}; the copies in ${result.record.destinations
            .filter((d) => d.status === 'ok')
            .map((d) => d.name)
            .join(', ')} are complete and kept`
        : `backup ${result.record.id} of ${result.record.env} failed: ${result.record.error ?? failed.map((d) => `${d.name}: ${d.error}`).join('; ')}`,
      'fix the destination named above and run the backup again; slipway backups lists what is complete',
    );
  }
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

export function envWithPolicy(session: FleetSession, name: string): { env: Environment; policy: BackupPolicy } {
  const env = session.fleet.environments.find((e) => e.name === name);
  if (!env) throw new UsageError(`unknown environment ${name}`, `environments: ${session.fleet.environments.map((e) => e.name).join(', ')}`);
  if (!env.backup)
    throw new UserError(
      `${name} has no backup policy`,
      `add "backup: { to: [local] }" under environments: ${name}: (and "backups: { recipients: [age1…] }") in ${session.fleet.file}`,
    );
  return { env, policy: env.backup };
}

/** The items of one backup: what to dump and under which key. */
interface Item {
  key: string;
  kind: ManifestObject['kind'];
  label: string;
  start(): Promise<{ stdout: Readable; finish(): Promise<Partial<ManifestObject>>; abort(): Promise<void> }>;
}

function itemsOf(run: ServerRun, env: string, what: readonly BackupWhat[]): Item[] {
  const items: Item[] = [];
  if (what.includes('postgres'))
    for (const db of run.state.databases.filter((d) => d.env === env))
      items.push({
        key: objectKeys.postgres(db.service, db.database),
        kind: 'postgres',
        label: `postgres ${db.database}`,
        start: async () => {
          const d = await startPgDump(run, await pgTarget(run, env, db));
          return { stdout: d.stdout, abort: d.abort, finish: async () => ({ postgres: await d.finish() }) };
        },
      });
  if (what.includes('redis'))
    for (const r of run.state.redisDbs.filter((x) => x.env === env))
      items.push({
        key: objectKeys.redis(r.service, r.db),
        kind: 'redis',
        label: `redis ${r.service} db ${r.db}`,
        start: async () => {
          const d = await startRedisDump(run, env, r);
          return { stdout: d.stdout, abort: d.abort, finish: async () => ({ redis: await d.finish() }) };
        },
      });
  if (what.includes('volumes'))
    for (const v of envVolumes(run, env))
      items.push({
        key: objectKeys.volume(v.volume),
        kind: 'volume',
        label: `volume ${v.volume}`,
        start: async () => {
          const t = await startVolumeTar(run, env, v.volume);
          return { stdout: t.stdout, abort: t.abort, finish: async () => ({ volume: { ...v, format: 'tar' as const, files: await t.finish() } }) };
        },
      });
  // Redis DBs of one service are distinct keys; two apps' databases too. Keys never collide.
  return items;
}

export async function runBackup(session: FleetSession, opts: BackupOptions): Promise<BackupResult> {
  const { env, policy } = envWithPolicy(session, opts.env);
  const run = runFor(session, env.server);
  const what = opts.what ? policy.what.filter((w) => opts.what!.includes(w)) : policy.what;
  if (opts.what && what.length === 0)
    throw new UsageError(`the backup policy of ${env.name} does not include ${opts.what.join(', ')}`, `it includes: ${policy.what.join(', ')}`);
  return withEnvLock(
    run,
    env.name,
    { command: `backup ${env.name}${opts.what ? ` --what ${opts.what.join(',')}` : ''}`, action: 'backup', lockWaitS: opts.lockWaitS ?? 0 },
    (locked) => backupUnderLock(run, env.name, policy, what, { opener: opts.opener, note: locked.note }),
  );
}

/** A backup of `env` by a caller that already holds its lock (`restore` takes its pre-restore backup this way). */
export async function backupUnderLock(
  run: ServerRun,
  env: string,
  policy: BackupPolicy,
  what: BackupWhat[],
  opts: { opener?: DestinationOpener; note: (f: { release?: string; detail?: string }) => void },
): Promise<BackupResult> {
  const open = opts.opener ?? openDestination;
  const destinations: Destination[] = [];
  const outcomes = new Map<string, DestinationOutcome>();
  for (const d of policy.destinations) {
    outcomes.set(d.name, { name: d.name, status: 'running', objects: 0, bytes: 0 });
    try {
      destinations.push(await open(run, env, d));
    } catch (e) {
      outcomes.set(d.name, { name: d.name, status: 'failed', error: firstLine(e), objects: 0, bytes: 0 });
      run.report.warn(`destination ${d.name}: ${firstLine(e)}`);
    }
  }
  try {
    return await backupInto(run, env, policy, what, destinations, outcomes, opts.note);
  } finally {
    await Promise.all(destinations.map((d) => d.close().catch(() => undefined)));
  }
}

async function backupInto(
  run: ServerRun,
  env: string,
  policy: BackupPolicy,
  what: BackupWhat[],
  destinations: Destination[],
  outcomes: Map<string, DestinationOutcome>,
  note: (f: { release?: string; detail?: string }) => void,
): Promise<BackupResult> {
  const project = run.fleet.project;
  const report = run.report;
  // Whatever an earlier, killed run left is removed before anything new is written.
  const left = await report.step('clean up interrupted backups', () => removeLeftovers(run, env, destinations));
  for (const d of left.deleted) report.info(`  removed ${d.objects} object(s) of unfinished backup ${d.id} from ${d.destination}`);

  const startedAt = new Date(run.now());
  const id = newBackupId(startedAt, randomBytes(2).toString('hex'));
  note({ detail: `backup ${id}` });
  const previous = (await readRecords(run, env)).find((r) => r.status === 'ok' || r.status === 'partial');
  const expected = new Map((previous?.objects ?? []).map((o) => [o.key, o.plainSize]));
  const record: BackupRecord = {
    format: 'slipway-backup-record/1',
    id,
    project,
    env,
    server: run.conn.server.name,
    status: 'running',
    startedAt: startedAt.toISOString(),
    by: run.store.actor ?? operator(),
    what,
    destinations: [...outcomes.values()],
    bytes: 0,
    plainBytes: 0,
    objects: [],
  };
  await writeRecord(run, record);

  let live = destinations.filter((d) => outcomes.get(d.name)!.status === 'running');
  const objects: ManifestObject[] = [];
  const items = itemsOf(run, env, what);
  if (items.length === 0) report.warn(`${env} has nothing to back up on ${run.conn.server.name} (${what.join(', ')})`);
  let sourceError: string | undefined;
  for (const item of items) {
    if (live.length === 0) break;
    try {
      await report.step(item.label, async () => {
        const src = await item.start();
        let outcome: StoreOutcome;
        try {
          outcome = await storeObject({
            source: src.stdout,
            recipients: policy.recipients,
            key: objectKey(project, env, id, item.key),
            destinations: live,
            report,
            label: item.label,
            now: run.now,
            expectedPlainSize: expected.get(item.key),
          });
        } catch (e) {
          await src.abort().catch(() => undefined);
          throw e;
        }
        const details = await src.finish();
        for (const f of outcome.failed) {
          outcomes.set(f.name, { ...outcomes.get(f.name)!, status: 'failed', error: f.error });
          report.warn(`destination ${f.name}: ${f.error}`);
        }
        live = live.filter((d) => outcomes.get(d.name)!.status === 'running');
        for (const d of live) {
          const o = outcomes.get(d.name)!;
          outcomes.set(d.name, { ...o, objects: o.objects + 1, bytes: o.bytes + outcome.stored.size });
        }
        objects.push({ key: item.key, kind: item.kind, ...outcome.stored, ...details });
        record.objects!.push({ key: item.key, size: outcome.stored.size, plainSize: outcome.stored.plainSize });
      });
    } catch (e) {
      sourceError = `${item.label}: ${firstLine(e)}`;
      break;
    }
  }

  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    id,
    project,
    env,
    server: run.conn.server.name,
    startedAt: record.startedAt,
    finishedAt: new Date(run.now()).toISOString(),
    what,
    recipients: policy.recipients,
    encryption: 'age',
    objects,
  };
  if (sourceError === undefined && live.length > 0) {
    // Last: the manifest, where every object is (checked like every object).
    const text = Buffer.from(serializeManifest(manifest));
    await report.step('write the manifest', async () => {
      await Promise.all(
        live.map(async (d) => {
          const key = objectKey(project, env, id, MANIFEST_KEY);
          try {
            await d.put(key, Readable.from([text]));
            const st = await d.stat(key);
            if (!st || st.size !== text.length) throw new Error('the manifest is not there after its upload');
            outcomes.set(d.name, { ...outcomes.get(d.name)!, status: 'ok' });
          } catch (e) {
            outcomes.set(d.name, { ...outcomes.get(d.name)!, status: 'failed', error: firstLine(e) });
            report.warn(`destination ${d.name}: ${firstLine(e)}`);
          }
        }),
      );
    });
  }
  if (sourceError !== undefined) {
    // Nothing is complete anywhere: remove what this run wrote.
    for (const d of destinations) await removeLeftovers(run, env, [d], {}).catch(() => undefined);
    for (const [name, o] of outcomes) if (o.status !== 'failed') outcomes.set(name, { ...o, status: 'failed', error: sourceError });
  }
  for (const [name, o] of outcomes) if (o.status === 'running') outcomes.set(name, { ...o, status: 'failed', error: o.error ?? 'not reached' });
  record.destinations = [...outcomes.values()];
  record.status = overallStatus(record.destinations, sourceError);
  record.finishedAt = manifest.finishedAt;
  record.bytes = objects.reduce((n, o) => n + o.size, 0);
  record.plainBytes = objects.reduce((n, o) => n + o.plainSize, 0);
  if (sourceError) record.error = sourceError;
  else if (record.status !== 'ok')
    record.error = record.destinations
      .filter((d) => d.status !== 'ok')
      .map((d) => `${d.name}: ${d.error}`)
      .join('; ');
  await writeRecord(run, record);
  const result = { record, manifest };
  if (record.status !== 'ok') throw new BackupIncompleteError(result);
  return result;
}
