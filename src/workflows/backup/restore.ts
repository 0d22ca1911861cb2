// `slipway restore ENV --from ID` and `slipway restore SRC --into DST [--from ID|--latest]
// [--scrub FILE]`: a backup of SRC put in place of DST's data (Postgres databases, Redis DBs, app
// volumes). Two calls, so that the CLI can show what will happen and ask first:
// - planRestore checks everything that can be checked without changing anything: the
//   environments, the backup's record (ok only) and manifest (project, environment), the
//   operator's age identity against its recipients, every object's size and sha256 where it lies,
//   where each object goes in DST (the same app's database, Redis DB and volume), the target
//   databases' existence and Postgres version, and DST's backup policy (for the pre-restore backup).
// - applyRestore, under DST's lock: maintenance on and the writers stopped (restore-apps.ts), a
//   pre-restore backup of DST (named in the result: restoring it undoes this), the databases closed
//   to connections, then every database restored into a new copy and checked (and scrubbed) and
//   every volume staged and checked — nothing of DST replaced yet — then the copies swapped in,
//   the Redis DBs replaced, the volumes swapped, the writers started again and maintenance ended.
// A failure before the first replacement undoes everything (a failing scrub keeps the apps in
// maintenance, by request); a failure after it leaves the apps stopped and in maintenance and says
// what was replaced and how to undo it.
import type { BackupManifest, ManifestObject } from '../../backup/manifest.ts';
import type { BackupRecord } from '../../backup/record.ts';
import type { BackupWhat } from '../../config/backup-policy.ts';
import { UsageError, UserError } from '../../diag/errors.ts';
import { appVolume } from '../../model/names.ts';
import type { DatabaseSpec, RedisDbSpec } from '../../plan/desire/desired.ts';
import type { AgeIdentities } from '../../secrets/age-crypt.ts';
import { withEnvLock } from '../env-lock-run.ts';
import { type FleetSession, runFor } from '../fleet-session.ts';
import type { ServerRun } from '../server-run.ts';
import type { DestinationOpener } from './destinations/open.ts';
import { pauseApps, resumeApps, type PausedApps } from './restore-apps.ts';
import { blockDb, checkPgTarget, discardDb, dropLeftoverCopies, type PreparedDb, prepareDb, ScrubError, swapDb, unblockDb } from './restore-postgres.ts';
import { type BackupSource, checkStored, chooseBackup, openBackupSource } from './restore-read.ts';
import { restoreRedis } from './restore-redis.ts';
import { cleanVolumeStages, discardVolume, type StagedVolume, stageVolume, swapVolume } from './restore-volume.ts';
import { BackupIncompleteError, backupUnderLock, envWithPolicy } from './run-backup.ts';

export interface RestoreOptions {
  /** Whose backup (SRC). */
  source: string;
  /** Where it goes (DST; SRC itself for `restore ENV --from ID`). */
  target: string;
  from?: string;
  latest?: boolean;
  scrub?: { path: string; sql: string };
  identities: AgeIdentities;
  lockWaitS?: number;
  opener?: DestinationOpener;
}

/** One object of the backup and where it goes. */
export type RestoreItem =
  | { kind: 'postgres'; obj: ManifestObject; target: DatabaseSpec }
  | { kind: 'redis'; obj: ManifestObject; target: RedisDbSpec }
  | { kind: 'volume'; obj: ManifestObject; volume: string };

export interface RestorePlan {
  source: string;
  target: string;
  sourceServer: string;
  targetServer: string;
  backup: BackupRecord;
  manifest: BackupManifest;
  /** Where the objects are read from. */
  readFrom: string;
  items: RestoreItem[];
  scrub?: string;
  /** Open reader of the backup (closed by applyRestore, or by closePlan). */
  src: BackupSource;
}

export interface RestoreResult {
  source: string;
  target: string;
  backup: string;
  /** The backup of DST taken just before: `slipway restore DST --from THIS` undoes the restore. */
  preRestoreBackup: string;
  preRestoreStatus: BackupRecord['status'];
  restored: { kind: RestoreItem['kind']; name: string; detail: string; ms: number }[];
  scrub?: string;
  durationMs: number;
}

const itemName = (i: RestoreItem): string =>
  i.kind === 'postgres' ? `postgres ${i.target.database}` : i.kind === 'redis' ? `redis ${i.target.service} db ${i.target.db}` : `volume ${i.volume}`;

export function describeItem(i: RestoreItem): string {
  if (i.kind === 'postgres') return `postgres ${i.obj.postgres!.database} → ${i.target.database} (owner ${i.target.user})`;
  if (i.kind === 'redis') return `redis ${i.obj.redis!.service} db ${i.obj.redis!.db} (${i.obj.redis!.keys} keys) → db ${i.target.db}`;
  return `volume ${i.obj.volume!.volume} (${i.obj.volume!.files.length} files) → ${i.volume}`;
}

function envOf(session: FleetSession, name: string, what: string) {
  const env = session.fleet.environments.find((e) => e.name === name);
  if (!env) throw new UsageError(`unknown environment ${name} (${what})`, `environments: ${session.fleet.environments.map((e) => e.name).join(', ')}`);
  return env;
}

/** Everything checked, nothing changed. */
export async function planRestore(session: FleetSession, opts: RestoreOptions): Promise<RestorePlan> {
  const srcEnv = envOf(session, opts.source, 'the backup to restore');
  const dstEnv = envOf(session, opts.target, 'where to restore');
  if (opts.scrub && opts.source === opts.target)
    throw new UsageError('--scrub is for a copy into another environment (--into)', `slipway restore ${opts.source} --into ENV --scrub FILE`);
  const srcRun = runFor(session, srcEnv.server);
  const dstRun = runFor(session, dstEnv.server);
  // DST must be able to take its pre-restore backup.
  try {
    envWithPolicy(session, dstEnv.name);
  } catch (e) {
    if (!(e instanceof UserError) || e instanceof UsageError) throw e;
    throw new UserError(
      `restore takes a backup of ${dstEnv.name} first (to undo it), and ${dstEnv.name} has no backup policy`,
      `add "backup: { to: [local] }" under environments: ${dstEnv.name}: in ${session.fleet.file}`,
    );
  }
  const record = await chooseBackup(srcRun, srcEnv.name, opts);
  const src = await openBackupSource(session, srcRun, srcEnv.name, record, opts.identities, opts.opener);
  try {
    const items = await srcRun.report.step(`check backup ${record.id} in ${src.destination.name}`, async () => {
      const items = mapItems(srcRun, dstRun, srcEnv.name, dstEnv.name, src.manifest);
      for (const i of items) if (i.kind === 'postgres') await checkPgTarget(dstRun, i.target, i.obj);
      const volumes = new Set((await dstRun.conn.engine.listVolumes({})).map((v) => v.name));
      for (const i of items)
        if (i.kind === 'volume' && !volumes.has(i.volume))
          throw new UserError(`volume ${i.volume} does not exist on ${dstRun.conn.server.name}`, 'create it with: slipway up');
      await checkStored(src, session.fleet.project, srcEnv.name);
      return items;
    });
    if (opts.scrub && !items.some((i) => i.kind === 'postgres'))
      throw new UsageError(`--scrub: backup ${record.id} holds no database to scrub`, 'leave out --scrub');
    return {
      source: srcEnv.name,
      target: dstEnv.name,
      sourceServer: srcEnv.server,
      targetServer: dstEnv.server,
      backup: record,
      manifest: src.manifest,
      readFrom: `${src.destination.name} (${src.destination.where})`,
      items,
      ...(opts.scrub ? { scrub: opts.scrub.path } : {}),
      src,
    };
  } catch (e) {
    await src.close().catch(() => undefined);
    throw e;
  }
}

export async function closePlan(plan: RestorePlan): Promise<void> {
  await plan.src.close().catch(() => undefined);
}

/** Each object of the manifest and where it goes in DST: the same app's database, Redis DB and volume. */
function mapItems(srcRun: ServerRun, dstRun: ServerRun, src: string, dst: string, m: BackupManifest): RestoreItem[] {
  const where = `${dst} on ${dstRun.conn.server.name}`;
  const hint = `${dst} must have the same apps and services as ${src}; check slipway.yaml and run slipway up`;
  return m.objects.map((obj): RestoreItem => {
    if (obj.kind === 'postgres') {
      const pg = obj.postgres!;
      const from = srcRun.state.databases.find((d) => d.env === src && d.service === pg.service && d.database === pg.database);
      if (!from) throw new UserError(`backup ${m.id} holds database ${pg.database} of ${pg.service}, which ${src} no longer has`, hint);
      const target = dstRun.state.databases.find((d) => d.env === dst && d.service === pg.service && d.app === from.app);
      if (!target) throw new UserError(`${where} has no database of app ${from.app} on ${pg.service} to restore ${pg.database} into`, hint);
      return { kind: 'postgres', obj, target };
    }
    if (obj.kind === 'redis') {
      const rd = obj.redis!;
      const from = srcRun.state.redisDbs.find((r) => r.env === src && r.service === rd.service && r.db === rd.db);
      if (!from) throw new UserError(`backup ${m.id} holds Redis DB ${rd.db} of ${rd.service}, which is no longer ${src}'s`, hint);
      const target = dstRun.state.redisDbs.find((r) => r.env === dst && r.service === rd.service && r.app === from.app);
      if (!target) throw new UserError(`${where} has no Redis DB of app ${from.app} on ${rd.service}`, hint);
      return { kind: 'redis', obj, target };
    }
    const v = obj.volume!;
    const volume = appVolume(dstRun.fleet.project, dst, v.app, v.name);
    if (!dstRun.state.volumes.some((x) => x.name === volume)) throw new UserError(`${where} has no volume ${v.name} of app ${v.app} (${volume})`, hint);
    return { kind: 'volume', obj, volume };
  });
}

/** Restore failed; `replaced` says what of DST was already replaced. */
export class RestoreFailedError extends UserError {
  constructor(
    message: string,
    hint: string,
    readonly replaced: string[],
    readonly preRestoreBackup?: string,
  ) {
    super(message, hint);
  }
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0]!;

export async function applyRestore(session: FleetSession, plan: RestorePlan, opts: RestoreOptions): Promise<RestoreResult> {
  try {
    const run = runFor(session, plan.targetServer);
    const { policy } = envWithPolicy(session, plan.target);
    const cmd = `restore ${plan.source}${plan.source !== plan.target ? ` --into ${plan.target}` : ''} --from ${plan.backup.id}${plan.scrub ? ` --scrub ${plan.scrub}` : ''}`;
    return await withEnvLock(run, plan.target, { command: cmd, action: 'restore', lockWaitS: opts.lockWaitS ?? 0 }, async (locked) => {
      const t0 = run.now();
      locked.note({ detail: `backup ${plan.backup.id} of ${plan.source}` });
      const report = run.report;
      const env = plan.target;
      const volumes = plan.items.flatMap((i) => (i.kind === 'volume' ? [i.volume] : []));
      const dbs = plan.items.flatMap((i) => (i.kind === 'postgres' ? [i.target] : []));
      const paused: PausedApps = await report.step(`maintenance on, writers of ${env} stopped`, () => pauseApps(run, env, volumes));
      for (const c of paused.stopped) report.info(`  stopped ${c}`);
      const undoPause = async (keepMaintenance: boolean) => {
        await report.step(`writers of ${env} started again${keepMaintenance ? ' (maintenance kept on)' : ', maintenance off'}`, () =>
          resumeApps(run, env, paused, { keepMaintenance }),
        );
      };

      // The pre-restore backup: what DST holds now, of every kind the restore replaces.
      const what = [...new Set(plan.items.map((i) => (i.kind === 'volume' ? 'volumes' : i.kind)))] as BackupWhat[];
      let pre: BackupRecord;
      try {
        pre = await report.step(`pre-restore backup of ${env}`, async () => {
          try {
            return (await backupUnderLock(run, env, policy, what, { opener: opts.opener, note: () => undefined })).record;
          } catch (e) {
            if (e instanceof BackupIncompleteError && e.result.record.status === 'partial') {
              report.warn(`${e.message.split('\n')[0]}; the restore goes on with the complete copies`);
              return e.result.record;
            }
            throw e;
          }
        });
      } catch (e) {
        await undoPause(false).catch((x) => report.warn(firstLine(x)));
        throw new RestoreFailedError(
          `the pre-restore backup of ${env} failed, so nothing was restored: ${firstLine(e)}`,
          'fix the backup destination and run the restore again',
          [],
        );
      }
      report.info(`  pre-restore backup: ${pre.id} (undo the restore with: slipway restore ${env} --from ${pre.id})`);

      const restored: RestoreResult['restored'] = [];
      const prepared: PreparedDb[] = [];
      const staged: StagedVolume[] = [];
      const replaced: string[] = [];
      try {
        await report.step(`close ${dbs.map((d) => d.database).join(', ') || 'no database'} to connections, clean up earlier runs`, async () => {
          for (const d of dbs) {
            await blockDb(run, d);
            for (const n of await dropLeftoverCopies(run, d)) report.info(`  dropped ${n}, left by an interrupted restore`);
          }
          for (const v of volumes) await cleanVolumeStages(run, env, v);
        });
        // Prepare: nothing of DST is replaced yet.
        for (const i of plan.items) {
          if (i.kind === 'postgres') {
            const t = run.now();
            const p = await report.step(
              `restore ${i.obj.postgres!.database} into a new copy of ${i.target.database}, check${opts.scrub ? ', scrub' : ''}`,
              () => prepareDb(run, plan.src, i.obj, i.target, opts.scrub),
            );
            prepared.push(p);
            restored.push({
              kind: 'postgres',
              name: i.target.database,
              detail: `${p.tables} tables match the manifest${opts.scrub ? ', scrubbed' : ''}`,
              ms: run.now() - t,
            });
          } else if (i.kind === 'volume') {
            const t = run.now();
            const s = await report.step(`stage the files of ${i.volume}, check`, () => stageVolume(run, plan.src, i.obj, env, i.volume));
            staged.push(s);
            restored.push({ kind: 'volume', name: i.volume, detail: `${s.files} files match the manifest`, ms: run.now() - t });
          }
        }
      } catch (e) {
        for (const p of prepared) await discardDb(run, p).catch(() => undefined);
        for (const s of staged) await discardVolume(run, env, s).catch(() => undefined);
        for (const d of dbs) await unblockDb(run, d).catch((x) => report.warn(firstLine(x)));
        const scrubFailed = e instanceof ScrubError;
        await undoPause(scrubFailed).catch((x) => report.warn(firstLine(x)));
        if (scrubFailed)
          throw new RestoreFailedError(
            `${e.message}. Nothing of ${env} was replaced (the restored copy was dropped); ${env} stays in maintenance${paused.maintenance.length ? ` (${paused.maintenance.join(', ')})` : ''}, so no unscrubbed data is served`,
            `fix ${plan.scrub} and run the restore again; or serve ${env}'s own data again with: slipway maintenance off APP ${env}`,
            [],
            pre.id,
          );
        throw new RestoreFailedError(
          `restoring ${plan.backup.id} into ${env} failed, nothing was replaced: ${firstLine(e)}`,
          'the apps are back as they were; fix the cause and run the restore again',
          [],
          pre.id,
        );
      }

      // Replace.
      try {
        for (const p of prepared) {
          await report.step(`swap in the restored ${p.target.database}`, () => swapDb(run, p));
          replaced.push(`postgres ${p.target.database}`);
        }
        for (const i of plan.items) {
          if (i.kind !== 'redis') continue;
          const t = run.now();
          const r = await report.step(`replace Redis DB ${i.target.db} of ${i.target.service}`, () => restoreRedis(run, plan.src, i.obj, i.target));
          replaced.push(itemName(i));
          restored.push({ kind: 'redis', name: `${i.target.service} db ${i.target.db}`, detail: `${r.keys} keys`, ms: run.now() - t });
        }
        for (const s of staged) {
          await report.step(`swap in the restored files of ${s.volume}`, () => swapVolume(run, env, s));
          replaced.push(`volume ${s.volume}`);
        }
      } catch (e) {
        const left = plan.items.map(itemName).filter((n) => !replaced.includes(n));
        throw new RestoreFailedError(
          `restoring ${plan.backup.id} into ${env} failed after ${replaced.length ? `replacing ${replaced.join(', ')}` : 'starting to replace its data'} (not replaced: ${left.join(', ')}): ${firstLine(e)}. ${env}'s apps stay stopped and in maintenance`,
          `undo with: slipway restore ${env} --from ${pre.id}; or run this restore again`,
          replaced,
          pre.id,
        );
      }
      await undoPause(false);
      return {
        source: plan.source,
        target: env,
        backup: plan.backup.id,
        preRestoreBackup: pre.id,
        preRestoreStatus: pre.status,
        restored,
        ...(plan.scrub ? { scrub: plan.scrub } : {}),
        durationMs: run.now() - t0,
      };
    });
  } finally {
    await closePlan(plan);
  }
}
