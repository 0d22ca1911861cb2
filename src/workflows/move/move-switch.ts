// Moving the environment's traffic and data from one side to the other with a short write pause:
// the cutover (source → target) and the rollback (target → source) are the same steps. Each step
// is recorded in the move record as it completes, so a run killed in the middle resumes after the
// last one done and never repeats a step that cannot be repeated (a replication already turned
// around).
//   1. hold writes on the serving side's proxy (503 + Retry-After; reads go on). With
//      `move.held_writes: wait` the other side's web processes are paused first, and held writes
//      are sent there to wait (accepted, unanswered) until they are thawed at the switch (5); if
//      the switch does not happen, those processes are restarted frozen, so no waiting write is
//      ever served by a copy that is not the one taking writes
//   2. stop its workers and singletons (a beat never runs on both sides)
//   3. side by side: each database catches up (or is dumped and restored), gets its sequences,
//      large objects and tables without a replica identity, and is compared table by table (count
//      and checksum); the volumes' last delta; the Redis DBs. Any difference stops here: writes
//      are released on the side that had them, its workers start again, and nothing has moved
//   4. (cutover) the forward subscription stops applying and the reverse slot is made on the
//      target, so every write it takes from now on can flow back
//   5. the other side serves: (wait) its web processes are thawed and the waiting writes are
//      answered; the first side's proxy forwards to it (clients on stale DNS still succeed) and
//      writes are released: the pause ends
//   6. (cutover) the reverse subscription starts from that slot and the forward replication is
//      dropped; (rollback) the reverse replication is dropped
//   7. DNS points at the other side; its workers start
import { UserError } from '../../diag/errors.ts';
import { dnsApply } from '../dns.ts';
import { fleetSecrets } from '../fleet-secrets.ts';
import { readOverrides, setOverrides } from '../proxy-overrides.ts';
import type { ServerRun } from '../server-run.ts';
import { syncVolume } from './volume-sync.ts';
import { deployOnTarget, envApps, pauseWeb, refuseWaiting, startContainers, stopWorkers, unpauseWeb } from './move-apps.ts';
import { reachableAddress } from './move-fleet.ts';
import { endpointOf, envDatabases, replicationName, replicationPassword, withRelay } from './move-pg.ts';
import { writeRecord, type TableCompare } from './move-record.ts';
import { copyRedis } from './move-redis.ts';
import { volumeSides, type StageContext } from './move-stages.ts';
import type { PgEndpoint } from './pg-endpoint.ts';
import { compareTables, hashableOnBoth } from './pg-compare.ts';
import { tableName } from './pg-endpoint.ts';
import { inspectDatabase } from './pg-inspect.ts';
import {
  catchUp,
  replicationLag,
  copyLargeObjects,
  copyTables,
  createSlot,
  disableSubscription,
  dumpRestore,
  enableSubscription,
  startReplication,
  stopReplication,
  syncSequences,
} from './pg-replicate.ts';

export type Direction = 'cutover' | 'rollback';
export const SWITCH_STEPS = ['held', 'synced', 'replication', 'switched', 'reverse', 'dns', 'workers-started'] as const;
export type SwitchStep = (typeof SWITCH_STEPS)[number];

/** The real (non-test) hosts of the environment on this side. */
export function envHosts(run: ServerRun, env: string, testPrefix: string): string[] {
  return run.state.routes.filter((r) => r.env === env && !r.host.startsWith(testPrefix)).map((r) => r.host);
}

/** Drops the test hostnames from this run's routes (the next reload serves only the real ones). */
export function dropTestRoutes(run: ServerRun, env: string, testPrefix: string): void {
  run.state.routes = run.state.routes.filter((r) => !(r.env === env && r.host.startsWith(testPrefix)));
}

interface DbPair {
  name: string;
  method: 'logical' | 'dump';
  copyAtCutover: string[];
  from: PgEndpoint;
  to: PgEndpoint;
  database: string;
  /** The replica cannot catch up (a rollback whose reverse replication broke): every table is copied whole in the pause. */
  fullCopy?: boolean;
}

async function dbPairs(c: StageContext, from: ServerRun, to: ServerRun): Promise<DbPair[]> {
  const env = c.sides.env.name;
  const out: DbPair[] = [];
  for (const d of c.rec.databases) {
    const a = envDatabases(from, env).find((x) => x.database === d.database);
    const b = envDatabases(to, env).find((x) => x.database === d.database);
    if (!a || !b) throw new Error(`database ${d.database} is missing on one side of the move`);
    out.push({
      name: d.name,
      method: d.method,
      copyAtCutover: d.copyAtCutover,
      database: d.database,
      from: await endpointOf(from, env, a),
      to: await endpointOf(to, env, b),
    });
  }
  return out;
}

export async function switchSides(c: StageContext, dir: Direction): Promise<void> {
  const { env } = c.sides;
  const [from, to] = dir === 'cutover' ? [c.sides.src, c.sides.dst] : [c.sides.dst, c.sides.src];
  const prefix = env.move?.testPrefix ?? 'test-';
  dropTestRoutes(c.sides.dst, env.name, prefix);
  const hosts = envHosts(from, env.name, prefix);
  const sw = (c.rec.switch ??= { dir, steps: [], stoppedWorkers: [] });
  if (sw.dir !== dir) {
    sw.dir = dir;
    sw.steps = [];
  }
  const done = (s: SwitchStep) => sw.steps.includes(s);
  const mark = async (s: SwitchStep, event?: string) => {
    sw.steps.push(s);
    await writeRecord([c.sides.src, c.sides.dst], c.rec, from.now(), event);
    c.kill?.(`${dir}:${s}`);
  };
  const pairs = await dbPairs(c, from, to);
  const retryAfterS = env.move?.retryAfterS ?? 2;
  const wait = env.move?.heldWrites === 'wait';
  const target = `${reachableAddress(to.conn.server)}:${to.conn.server.httpPort}`;
  let heldMark: Promise<void> = Promise.resolve();
  const resumedInPause = done('held');
  if (!resumedInPause) {
    // The pause starts only once every replica is close behind (a replica that has stopped applying,
    // e.g. on a conflict, never is: the copy starts over instead of holding writes for nothing).
    await from.report
      .step('replicas close behind', () =>
        Promise.all(
          pairs
            .filter((p) => p.method === 'logical')
            .map(async (p) => {
              try {
                await closeBehind(p, dir === 'cutover' ? p.name : replicationName(p.database, true), from);
              } catch (e) {
                // A rollback must happen anyway: the target's tables are copied whole instead (a longer pause, nothing lost).
                if (dir === 'cutover') throw e;
                from.report.warn(`${(e as Error).message}: every table of ${p.database} is copied back whole within the pause`);
                p.fullCopy = true;
              }
            }),
        ),
      )
      .catch((e) => {
        throw new SyncError(e);
      });
    let waitAt: string | undefined;
    if (wait) {
      // Before the pause: the other side's web processes are paused (held writes will wait in their
      // sockets) and its proxy serves the hosts itself (a rollback had it forwarding here).
      waitAt = target;
      const paused = await to.report.step('pause web processes (held writes wait there)', () => pauseWeb(to, envApps(to, env.name), env.name));
      sw.pausedWeb = [...new Set([...(sw.pausedWeb ?? []), ...paused])];
      await writeRecord([c.sides.src, c.sides.dst], c.rec, from.now());
      const there = await readOverrides(to);
      if (hosts.some((h) => there.forward[h] || there.holdWrites[h]))
        await to.report.step(`${to.conn.server.name} serves ${hosts.length} host(s)`, () => setOverrides(to, hosts, { forward: null, holdWrites: null }));
    }
    sw.heldAt = from.now();
    // Side by side: the proxy holds writes, and the workers stop (neither waits for the other).
    const [, stopped] = await Promise.all([
      from.report.step(
        waitAt
          ? `hold writes to ${hosts.length} host(s) (they wait at ${to.conn.server.name})`
          : `hold writes to ${hosts.length} host(s) (503, Retry-After: ${retryAfterS})`,
        () => setOverrides(from, hosts, { holdWrites: waitAt ? { retryAfterS, waitAt } : { retryAfterS } }),
      ),
      from.report.step('stop workers and singletons', () => stopWorkers(from, envApps(from, env.name), env.name)),
    ]);
    if (dir === 'cutover') sw.stoppedWorkers = [...new Set([...sw.stoppedWorkers, ...stopped])];
    else sw.stoppedOnTarget = [...new Set([...(sw.stoppedOnTarget ?? []), ...stopped])];
    // Recorded while the sync below runs (one round trip less within the pause); awaited with it.
    heldMark = mark('held');
    heldMark.catch(() => undefined);
  }
  try {
    if (!done('synced')) {
      // A cutover resumed within its pause may have stopped the forward replication already: it applies again first.
      if (dir === 'cutover' && resumedInPause && !done('replication'))
        await Promise.all(pairs.filter((p) => p.method === 'logical').map((p) => enableSubscription(p.to, p.name)));
      // The databases (each caught up, then compared), the volumes' last delta and the Redis DBs, side by side.
      const [compared] = await Promise.all([
        Promise.all(pairs.map((p) => syncDatabase(p, dir, to))),
        heldMark,
        Promise.all(volumeSides(c, from, to).map((v) => to.report.step(`volume ${v.src.volume}: last delta`, () => syncVolume(v.src, v.dst)))),
        to.report
          .step('Redis DBs', () => copyRedis(from, to, env.name))
          .then((redis) => {
            for (const r of redis) to.report.info(`    ${r.db}: ${r.keys} keys`);
          }),
      ]);
      const compare = compared.flat();
      const bad = compare.filter((r) => !r.equal);
      const rows = compare.reduce((n, r) => n + r.srcRows, 0);
      to.report.info(`    ${compare.length} table(s), ${rows} row(s) compared: ${bad.length ? `${bad.length} differ` : 'identical'}`);
      sw.compare = compare;
      if (bad.length) throw new CompareError(bad);
      // Not recorded on its own (one write less within the pause): a resumed run syncs and compares again, which is harmless.
      sw.steps.push('synced');
    }
  } catch (e) {
    await heldMark.catch(() => undefined);
    // Nothing has moved: the serving side takes writes again and its workers restart.
    await from.report.step('release writes (nothing moved)', () => setOverrides(from, hosts, { holdWrites: null }));
    if (sw.pausedWeb?.length) {
      // The writes waiting there must not reach that side's copy: their connections are reset.
      const paused = sw.pausedWeb;
      await to.report.step(`refuse the writes waiting on ${to.conn.server.name} (restart its web processes)`, () => refuseWaiting(to, paused));
      to.report.warn(`the writes that were waiting on ${to.conn.server.name} got an error (connection reset): none was written there`);
      delete sw.pausedWeb;
    }
    await startContainers(from, dir === 'cutover' ? sw.stoppedWorkers : (sw.stoppedOnTarget ?? []));
    sw.steps = [];
    await writeRecord([c.sides.src, c.sides.dst], c.rec, from.now(), `${dir} stopped before the switch: ${(e as Error).message.split('\n')[0]}`);
    throw e instanceof CompareError ? e : new SyncError(e);
  }
  if (!done('replication') && dir === 'cutover') {
    // Within the pause only what must be: the forward subscription stops applying (so the reverse
    // one cannot loop back through it) and the reverse slot is made, so every write the target takes
    // from now on flows back to the source once subscribed (after the pause).
    await to.report.step('replication: forward stopped, reverse slot made', () =>
      Promise.all(
        pairs
          .filter((x) => x.method === 'logical')
          .map(async (p) => {
            await disableSubscription(p.to, p.name);
            await createSlot(p.to, replicationName(p.database, true));
          }),
      ),
    );
    await mark('replication');
  }
  if (!done('switched')) {
    let releasedAt: number | undefined;
    if (sw.pausedWeb?.length) {
      // The pause ends here: the writes waiting on the other side are served, by the copy that now takes writes.
      const paused = sw.pausedWeb;
      await to.report.step(`writes released: ${to.conn.server.name}'s web processes thawed`, () => unpauseWeb(to, paused));
      releasedAt = from.now();
    } else {
      const there = await readOverrides(to);
      if (hosts.some((h) => there.forward[h] || there.holdWrites[h]))
        await to.report.step(`${to.conn.server.name} serves ${hosts.length} host(s)`, () => setOverrides(to, hosts, { forward: null, holdWrites: null }));
    }
    await from.report.step(`forward to ${target}${releasedAt ? '' : '; writes released'}`, () =>
      setOverrides(from, hosts, { forward: { to: target }, holdWrites: null }),
    );
    sw.pauseMs = (releasedAt ?? from.now()) - (sw.heldAt ?? from.now());
    delete sw.pausedWeb;
    await mark('switched', `${dir}: ${to.conn.server.name} serves ${env.name}; writes were held ${sw.pauseMs} ms`);
  }
  if (!done('reverse')) {
    for (const p of pairs.filter((x) => x.method === 'logical')) {
      if (dir === 'cutover') {
        const back = replicationName(p.database, true);
        await to.report.step(`${p.database}: writes flow back (${to.conn.server.name} → ${from.conn.server.name})`, async () => {
          const reach = await withRelay(to, env.name, p.to);
          await startReplication(reach, p.from, { name: back, password: await replicationPassword(to, back), exclude: p.copyAtCutover, existingSlot: true });
          await stopReplication(p.from, p.to, p.name);
        });
      } else {
        await to.report.step(`${p.database}: replication stopped`, () => stopReplication(p.from, p.to, replicationName(p.database, true)));
      }
    }
    await mark('reverse');
  }
  if (!done('dns')) {
    const fleet = to.fleet;
    if (fleet.dns.length) {
      const session = dir === 'cutover' ? c.sides.dstSession : c.sides.srcSession;
      const r = await to.report.step('DNS', () => dnsApply(fleet, fleetSecrets(session), to.report, { env: env.name }));
      to.report.info(`    ${r.applied.length} record set(s) changed`);
    }
    await mark('dns');
  }
  if (!done('workers-started')) {
    if (dir === 'cutover') {
      for (const a of envApps(to, env.name))
        if (a.workers.length)
          await to.report.step(`deploy ${a.app.name} (${a.workers.join(', ')})`, () => deployOnTarget(from, to, a.app, env.name, a.workers, c.lockWaitS));
    } else {
      await to.report.step('start workers and singletons', () => startContainers(to, sw.stoppedWorkers));
    }
    await mark('workers-started');
  }
}

/** One database brought level with the other side, then compared table by table. */
async function syncDatabase(p: DbPair, dir: Direction, to: ServerRun): Promise<TableCompare[]> {
  if (p.fullCopy) {
    const tables = (await inspectDatabase(p.from)).tables.map(tableName);
    const t = await to.report.step(`${p.database}: copy ${tables.length} table(s) whole`, () => copyTables(p.from, p.to, tables));
    const [s, lo] = await Promise.all([syncSequences(p.from, p.to), copyLargeObjects(p.from, p.to)]);
    to.report.info(`    ${p.database}: ${t.length} table(s), ${s.sequences} sequence(s), ${lo.copied} large object(s) copied`);
  } else if (p.method === 'logical') {
    const name = dir === 'cutover' ? p.name : replicationName(p.database, true);
    // Which tables can be compared by value is asked beside the catch-up (no time of its own).
    const hashable = hashableOnBoth(p.from, p.to);
    hashable.catch(() => undefined);
    const r = await to.report.step(`${p.database}: last changes`, () => catchUp(p.from, p.to, name, 30_000));
    const hashed = await hashable;
    // Side by side: the replicated tables are compared while what replication does not carry is
    // copied; then the copied part is compared.
    const [replicated, [s, lo, t]] = await Promise.all([
      to.report.step(`${p.database}: compare replicated tables`, () => compareTables(p.from, p.to, { except: p.copyAtCutover, largeObjects: false, hashed })),
      Promise.all([
        syncSequences(p.from, p.to),
        copyLargeObjects(p.from, p.to),
        p.copyAtCutover.length ? copyTables(p.from, p.to, p.copyAtCutover) : Promise.resolve([]),
      ]),
    ]);
    to.report.info(
      `    ${p.database}: caught up in ${r.waitedMs} ms; ${s.sequences} sequence(s), ${lo.copied} large object(s), ${t.length} table(s) without replica identity copied`,
    );
    const copied = await to.report.step(`${p.database}: compare copied tables and large objects`, () =>
      compareTables(p.from, p.to, { only: p.copyAtCutover, largeObjects: true, hashed }),
    );
    return [...replicated, ...copied].map((x) => ({ database: p.database, table: x.table, srcRows: x.srcRows, dstRows: x.dstRows, equal: x.equal }));
  } else {
    const r = await to.report.step(`${p.database}: dump and restore`, () => dumpRestore(p.from, p.to, { jobs: 2 }));
    to.report.info(`    ${p.database}: ${r.bytes} bytes in ${r.ms} ms`);
  }
  const rows = await to.report.step(`${p.database}: compare every table`, () => compareTables(p.from, p.to));
  return rows.map((r) => ({ database: p.database, table: r.table, srcRows: r.srcRows, dstRows: r.dstRows, equal: r.equal }));
}

/** Lag under this many bytes lets the pause start. */
const CLOSE_BEHIND_BYTES = 1024 * 1024;

async function closeBehind(p: DbPair, name: string, run: ServerRun): Promise<void> {
  const deadline = run.now() + 60_000;
  for (;;) {
    const lag = await replicationLag(p.from, p.to, name);
    if (lag.initialSyncDone && lag.bytes < CLOSE_BEHIND_BYTES) return;
    if (run.now() > deadline)
      throw new UserError(
        `${p.database}: the replica on ${p.to.server} is ${lag.bytes} bytes behind after 60 s${lag.initialSyncDone ? '' : ' (its initial copy is not done)'}`,
        `look at the target's Postgres log (docker logs ${p.to.container} on ${p.to.server}); writes were never held`,
      );
    await run.sleep(200);
  }
}

/** The sync before the switch failed (a replica behind or stuck, a copy that broke): nothing moved, and the copy starts over on --resume. */
export class SyncError extends UserError {
  constructor(cause: unknown) {
    const e = cause as Error & { hint?: string };
    super(`${e.message.split('\n')[0]}: nothing moved`, `${e.hint ? `${e.hint}; ` : ''}slipway move ENV --resume copies the databases again from the start`);
  }
}

export class CompareError extends UserError {
  constructor(readonly differences: TableCompare[]) {
    super(
      `the two sides differ after the sync: ${differences
        .slice(0, 5)
        .map((d) => `${d.database}.${d.table} (${d.srcRows} vs ${d.dstRows} rows)`)
        .join(', ')}${differences.length > 5 ? ` and ${differences.length - 5} more` : ''}`,
      'nothing moved and writes were released; run the move again with --resume (it syncs again), or look at the tables named',
    );
  }
}
