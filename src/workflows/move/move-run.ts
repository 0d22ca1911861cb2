// `slipway move ENV`: the runbook from the first stage (or the one after the last that finished) to
// the cutover; `--rollback` while the rollback window is open; `--finish`, the point of no return,
// never before the environment's stable period unless forced; `--status`. Every entry point holds
// the environment's move lock on both servers and records progress on both.
import { UserError } from '../../diag/errors.ts';
import { backupUnderLock } from '../backup/run-backup.ts';
import { after, applyDown, planDown } from '../down.ts';
import { setOverrides } from '../proxy-overrides.ts';
import { envApps, refuseWaiting, runningWorkers } from './move-apps.ts';
import { endpointOf, envDatabases, replicationName } from './move-pg.ts';
import { newRecord, nextStage, STAGES, writeRecord, type MoveRecord, type StageName } from './move-record.ts';
import { withMoveLocks, type MoveSides } from './move-session.ts';
import { precopy, preflight, provision, testStage, type StageContext } from './move-stages.ts';
import { CompareError, envHosts, switchSides, SyncError } from './move-switch.ts';
import { removeRelay } from './pg-relay.ts';
import { replicationLag, stopReplication } from './pg-replicate.ts';

export interface MoveOptions {
  lockWaitS: number;
  /** Fault injection: SIGKILL this process at the named point once recorded: `before-STAGE`, `after-STAGE`, `cutover:STEP`, `rollback:STEP` (SLIPWAY_TEST_KILL_AT). */
  killAt?: string;
  /** Stop after this stage (e.g. `test`, to look at the test hostnames before the cutover). */
  until?: StageName;
}

export interface MoveResult {
  record: MoveRecord;
  /** Stages run by this command, with their durations. */
  ran: { stage: string; ms: number }[];
}

const RUNNERS: Record<Exclude<StageName, 'cutover'>, (c: StageContext) => Promise<void>> = { preflight, provision, precopy, test: testStage };

function killer(killAt: string | undefined): (point: string) => void {
  return (point) => {
    if (killAt && killAt === point) process.kill(process.pid, 'SIGKILL');
  };
}

/** Runs the move's stages from where it stands up to (and including) the cutover. */
export async function runMove(sides: MoveSides, opts: MoveOptions, resume: boolean): Promise<MoveResult> {
  const { src, dst, env } = sides;
  const runs = [src, dst];
  return withMoveLocks(sides, `move ${env.name} --to ${dst.conn.server.name}`, opts.lockWaitS, async () => {
    let rec = sides.record;
    if (rec?.phase === 'rolling-back')
      throw new UserError(`a rollback of ${env.name} to ${rec.from} was cut off`, `finish it with: slipway move ${env.name} --rollback`);
    if (rec?.phase === 'cut-over')
      throw new UserError(
        `${env.name} was already cut over to ${rec.to} at ${rec.cutover?.at}`,
        `finish it with slipway move ${env.name} --finish (after ${rec.rollbackUntil}), or undo it with --rollback`,
      );
    if (resume && !rec) throw new UserError(`no move of ${env.name} is under way`, `start one with: slipway move ${env.name} --to SERVER`);
    if (!rec || rec.phase !== 'running') rec = newRecord(env.name, src.conn.server.name, dst.conn.server.name, src.now());
    else if (!resume)
      throw new UserError(
        `a move of ${env.name} from ${rec.from} to ${rec.to} is under way (next: ${nextStage(rec) ?? 'cutover'})`,
        `resume it with: slipway move ${env.name} --resume`,
      );
    const kill = killer(opts.killAt);
    const c: StageContext = { sides, rec, lockWaitS: opts.lockWaitS, kill };
    const ran: MoveResult['ran'] = [];
    for (const stage of STAGES) {
      if (rec.done[stage]) continue;
      kill(`before-${stage}`);
      const t0 = src.now();
      src.report.info(`== ${stage}`);
      if (stage === 'cutover') {
        try {
          await switchSides(c, 'cutover');
        } catch (e) {
          if (!(e instanceof CompareError || e instanceof SyncError)) throw e;
          // Replication cannot mend rows that differ: the next run copies again from the start.
          rec.resync = true;
          delete rec.done.precopy;
          delete rec.done.test;
          await writeRecord(runs, rec, src.now(), 'the sides differed at the cutover: the pre-copy starts over on --resume');
          throw e;
        }
      } else await RUNNERS[stage](c);
      if (stage === 'precopy') delete rec.resync;
      const ms = src.now() - t0;
      rec.done[stage] = { at: new Date(src.now()).toISOString(), ms };
      if (stage === 'cutover') {
        rec.phase = 'cut-over';
        rec.cutover = {
          at: new Date(src.now()).toISOString(),
          pauseMs: rec.switch?.pauseMs ?? 0,
          compare: rec.switch?.compare ?? [],
          reverse: rec.databases.some((d) => d.method === 'logical'),
        };
        rec.rollbackUntil = new Date(src.now() + (env.move?.stableMs ?? 0)).toISOString();
      }
      await writeRecord(runs, rec, src.now(), `${stage} done in ${ms} ms`);
      ran.push({ stage, ms });
      kill(`after-${stage}`);
      if (opts.until === stage) break;
    }
    return { record: rec, ran };
  });
}

/** Sends the environment back to the source, with the writes made on the target since the cutover. */
export async function rollbackMove(sides: MoveSides, opts: MoveOptions): Promise<MoveResult> {
  const { src, dst, env } = sides;
  return withMoveLocks(sides, `move ${env.name} --rollback`, opts.lockWaitS, async () => {
    const rec = sides.record;
    if (rec?.phase === 'running') return abandon(sides, rec);
    if (!rec || (rec.phase !== 'cut-over' && rec.phase !== 'rolling-back')) {
      throw new UserError(
        `no cut-over move of ${env.name} to roll back${rec ? ` (it is ${rec.phase})` : ''}`,
        'slipway move ENV --status shows where it stands',
      );
    }
    if (!rec.cutover?.reverse && rec.databases.length)
      throw new UserError(
        `${env.name}'s databases were moved by dump and restore: writes made on ${rec.to} since the cutover have no way back to ${rec.from}`,
        `these would be lost: every row written to ${rec.databases.map((d) => d.database).join(', ')} on ${rec.to} since ${rec.cutover?.at}; back them up and restore them by hand if you must go back`,
      );
    const t0 = src.now();
    rec.phase = 'rolling-back';
    await switchSides({ sides, rec, lockWaitS: opts.lockWaitS, kill: killer(opts.killAt) }, 'rollback');
    rec.phase = 'rolled-back';
    rec.rolledBackAt = new Date(src.now()).toISOString();
    await writeRecord([src, dst], rec, src.now(), `rolled back: ${rec.from} serves ${env.name} again; writes were held ${rec.switch?.pauseMs ?? 0} ms`);
    return { record: rec, ran: [{ stage: 'rollback', ms: src.now() - t0 }] };
  });
}

/** A move stopped before its cutover: the target's copy stops replicating, the source keeps serving (nothing to send back). */
async function abandon(sides: MoveSides, rec: MoveRecord): Promise<MoveResult> {
  const { src, dst, env } = sides;
  const t0 = src.now();
  // A cutover killed within a `held_writes: wait` pause left the target's web processes paused with writes waiting in them: refused, never served there.
  const paused = rec.switch?.pausedWeb ?? [];
  if (paused.length) {
    await dst.report.step(`refuse the writes waiting on ${dst.conn.server.name} (restart its web processes)`, () => refuseWaiting(dst, paused));
    delete rec.switch!.pausedWeb;
  }
  await stopAllReplication(sides, rec);
  await removeRelay(src.conn.engine, src.fleet.project, env.name);
  await removeRelay(dst.conn.engine, dst.fleet.project, env.name);
  rec.phase = 'rolled-back';
  rec.rolledBackAt = new Date(src.now()).toISOString();
  await writeRecord([src, dst], rec, src.now(), `abandoned before the cutover: ${rec.from} kept serving`);
  return { record: rec, ran: [{ stage: 'abandon', ms: src.now() - t0 }] };
}

async function stopAllReplication(sides: MoveSides, rec: MoveRecord): Promise<void> {
  const { src, dst, env } = sides;
  for (const d of rec.databases.filter((x) => x.method === 'logical')) {
    const a = envDatabases(src, env.name).find((x) => x.database === d.database);
    const b = envDatabases(dst, env.name).find((x) => x.database === d.database);
    if (!a || !b) continue;
    const s = await endpointOf(src, env.name, a);
    const t = await endpointOf(dst, env.name, b);
    await stopReplication(s, t, d.name);
    await stopReplication(t, s, replicationName(d.database, true));
  }
}

/** The point of no return: a last backup on the source, then the environment's containers, routes, databases and volumes there go. */
export async function finishMove(sides: MoveSides, opts: MoveOptions & { force: boolean }): Promise<MoveResult & { removed: number }> {
  const { src, dst, env } = sides;
  return withMoveLocks(sides, `move ${env.name} --finish`, opts.lockWaitS, async () => {
    const rec = sides.record;
    if (!rec || rec.phase !== 'cut-over')
      throw new UserError(`no cut-over move of ${env.name} to finish${rec ? ` (it is ${rec.phase})` : ''}`, 'slipway move ENV --status shows where it stands');
    const until = Date.parse(rec.rollbackUntil ?? '');
    if (!opts.force && src.now() < until)
      throw new UserError(
        `${env.name} has run on ${rec.to} since ${rec.cutover?.at}; its stable period ends at ${rec.rollbackUntil}`,
        `wait until then (move.stable in the fleet file sets it), or pass --force to remove it from ${rec.from} now`,
      );
    const t0 = src.now();
    if (env.backup) {
      const policy = env.backup;
      const b = await src.report.step(`last backup of ${env.name} on ${src.conn.server.name}`, () =>
        backupUnderLock(src, env.name, policy, policy.what, { note: () => undefined }),
      );
      if (b.record.status !== 'ok')
        throw new UserError(`the last backup on ${rec.from} is ${b.record.status}: nothing was removed`, 'fix the backup destination, then run --finish again');
    } else src.report.warn(`${env.name} has no backup policy: no last backup is taken on ${rec.from} before removing it`);
    await stopAllReplication(sides, rec);
    await removeRelay(src.conn.engine, src.fleet.project, env.name);
    await removeRelay(dst.conn.engine, dst.fleet.project, env.name);
    const hosts = envHosts(src, env.name, env.move?.testPrefix ?? 'test-');
    const down = await planDown(sides.srcSession, { envs: [env.name], all: false, destroyData: true });
    const applied = await applyDown(sides.srcSession, down, { lockWaitS: opts.lockWaitS, duringMove: true });
    if (applied.failures.length)
      throw new UserError(`removing ${env.name} from ${rec.from} failed: ${applied.failures.map((f) => f.error).join('; ')}`, 'run --finish again');
    // The routes are gone from the source; their overrides go too. The proxy is rendered from the
    // source's state without the environment (as `down` left it), or its routes would come back.
    await setOverrides(after(src, down.after), hosts, { forward: null, holdWrites: null }).catch(() => undefined);
    rec.phase = 'finished';
    rec.finishedAt = new Date(src.now()).toISOString();
    const removed = applied.results.reduce((n, r) => n + r.applied.length, 0);
    await writeRecord([src, dst], rec, src.now(), `finished: ${env.name} removed from ${rec.from} (${removed} actions)`);
    return { record: rec, ran: [{ stage: 'finish', ms: src.now() - t0 }], removed };
  });
}

export interface MoveStatus {
  record: MoveRecord | undefined;
  next?: string;
  lag: { database: string; bytes: number | null; direction: string; error?: string }[];
  workers: { server: string; running: string[] }[];
  /** ms until the rollback window ends (negative: it has). */
  windowLeftMs?: number;
}

/** Where the move stands, with the live replication lag and which side runs the workers. */
export async function moveStatus(sides: MoveSides): Promise<MoveStatus> {
  const { src, dst, env } = sides;
  const rec = sides.record;
  const lag: MoveStatus['lag'] = [];
  if (rec && (rec.phase === 'running' || rec.phase === 'cut-over')) {
    for (const d of rec.databases.filter((x) => x.method === 'logical')) {
      const a = envDatabases(src, env.name).find((x) => x.database === d.database);
      const b = envDatabases(dst, env.name).find((x) => x.database === d.database);
      if (!a || !b) continue;
      const s = await endpointOf(src, env.name, a);
      const t = await endpointOf(dst, env.name, b);
      const back = rec.phase === 'cut-over';
      const direction = back ? `${rec.to} → ${rec.from}` : `${rec.from} → ${rec.to}`;
      try {
        const l = back ? await replicationLag(t, s, replicationName(d.database, true)) : await replicationLag(s, t, d.name);
        lag.push({ database: d.database, bytes: l.bytes, direction });
      } catch (e) {
        lag.push({ database: d.database, bytes: null, direction, error: (e as Error).message.split('\n')[0]! });
      }
    }
  }
  const workers = [];
  for (const run of [src, dst]) workers.push({ server: run.conn.server.name, running: await runningWorkers(run, envApps(run, env.name), env.name) });
  return {
    record: rec,
    ...(rec?.phase === 'running' ? { next: nextStage(rec) ?? 'cutover' } : {}),
    lag,
    workers,
    ...(rec?.rollbackUntil && rec.phase === 'cut-over' ? { windowLeftMs: Date.parse(rec.rollbackUntil) - src.now() } : {}),
  };
}
