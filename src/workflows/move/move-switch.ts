// Moving the environment's traffic and data from one side to the other with a short write pause:
// the cutover (source → target) and the rollback (target → source) are the same steps. Each step
// is recorded in the move record as it completes, so a run killed in the middle resumes after the
// last one done and never repeats a step that cannot be repeated (a replication already turned
// around).
//   1. hold writes on the serving side's proxy (503 + Retry-After; reads go on)
//   2. stop its workers and singletons (a beat never runs on both sides)
//   3. the databases catch up (or are dumped and restored), then sequences, large objects and the
//      tables without a replica identity; the volumes' last delta; the Redis DBs
//   4. every table compared (count and checksum): any difference stops here, writes are released
//      on the side that had them, its workers start again, and nothing has moved
//   5. the replication turns around (cutover: target → source, so a rollback loses no write; a
//      rollback: stopped)
//   6. the other side serves: its proxy stops forwarding, the first side's proxy forwards to it
//      (clients on stale DNS still succeed), writes are released: the pause ends
//   7. DNS points at the other side; its workers start
import { UserError } from '../../diag/errors.ts';
import { dnsApply } from '../dns.ts';
import { fleetSecrets } from '../fleet-secrets.ts';
import { setOverrides } from '../proxy-overrides.ts';
import type { ServerRun } from '../server-run.ts';
import { syncVolume } from './volume-sync.ts';
import { deployOnTarget, envApps, startContainers, stopWorkers } from './move-apps.ts';
import { reachableAddress } from './move-fleet.ts';
import { endpointOf, envDatabases, replicationName, replicationPassword, withRelay } from './move-pg.ts';
import { writeRecord, type TableCompare } from './move-record.ts';
import { copyRedis } from './move-redis.ts';
import { volumeSides, type StageContext } from './move-stages.ts';
import type { PgEndpoint } from './pg-endpoint.ts';
import { compareTables } from './pg-compare.ts';
import { catchUp, copyLargeObjects, copyTables, dumpRestore, startReplication, stopReplication, syncSequences } from './pg-replicate.ts';

export type Direction = 'cutover' | 'rollback';
export const SWITCH_STEPS = ['held', 'workers-stopped', 'synced', 'compared', 'replication', 'switched', 'dns', 'workers-started'] as const;
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
  };
  const pairs = await dbPairs(c, from, to);
  const retryAfterS = env.move?.retryAfterS ?? 2;

  if (!done('held')) {
    sw.heldAt = from.now();
    await from.report.step(`hold writes to ${hosts.length} host(s) (503, Retry-After: ${retryAfterS})`, () =>
      setOverrides(from, hosts, { holdWrites: { retryAfterS } }),
    );
    await mark('held');
  }
  if (!done('workers-stopped')) {
    const stopped = await from.report.step('stop workers and singletons', () => stopWorkers(from, envApps(from, env.name), env.name));
    if (dir === 'cutover') sw.stoppedWorkers = [...new Set([...sw.stoppedWorkers, ...stopped])];
    else sw.stoppedOnTarget = [...new Set([...(sw.stoppedOnTarget ?? []), ...stopped])];
    await mark('workers-stopped');
  }
  try {
    if (!done('synced')) {
      for (const p of pairs) {
        if (p.method === 'logical') {
          const name = dir === 'cutover' ? p.name : replicationName(p.database, true);
          const r = await to.report.step(`${p.database}: last changes`, () => catchUp(p.from, p.to, name, 120_000));
          to.report.info(`    caught up in ${r.waitedMs} ms`);
          const s = await syncSequences(p.from, p.to);
          const lo = await copyLargeObjects(p.from, p.to);
          const t = p.copyAtCutover.length ? await copyTables(p.from, p.to, p.copyAtCutover) : [];
          to.report.info(`    ${s.sequences} sequence(s), ${lo.copied} large object(s) copied, ${t.length} table(s) without replica identity copied`);
        } else {
          const r = await to.report.step(`${p.database}: dump and restore`, () => dumpRestore(p.from, p.to, { jobs: 2 }));
          to.report.info(`    ${r.bytes} bytes in ${r.ms} ms`);
        }
      }
      for (const v of volumeSides(c, from, to)) await to.report.step(`volume ${v.src.volume}: last delta`, () => syncVolume(v.src, v.dst));
      const redis = await to.report.step('Redis DBs', () => copyRedis(from, to, env.name));
      for (const r of redis) to.report.info(`    ${r.db}: ${r.keys} keys`);
      await mark('synced');
    }
    if (!done('compared')) {
      const compare: TableCompare[] = [];
      for (const p of pairs) {
        const rows = await to.report.step(`${p.database}: compare every table`, () => compareTables(p.from, p.to));
        for (const r of rows) compare.push({ database: p.database, table: r.table, srcRows: r.srcRows, dstRows: r.dstRows, equal: r.equal });
      }
      const bad = compare.filter((r) => !r.equal);
      const rows = compare.reduce((n, r) => n + r.srcRows, 0);
      to.report.info(`    ${compare.length} table(s), ${rows} row(s): ${bad.length ? `${bad.length} differ` : 'identical'}`);
      sw.compare = compare;
      if (bad.length) throw new CompareError(bad);
      await mark('compared');
    }
  } catch (e) {
    // Nothing has moved: the serving side takes writes again and its workers restart.
    await from.report.step('release writes (nothing moved)', () => setOverrides(from, hosts, { holdWrites: null }));
    await startContainers(from, dir === 'cutover' ? sw.stoppedWorkers : (sw.stoppedOnTarget ?? []));
    sw.steps = [];
    await writeRecord([c.sides.src, c.sides.dst], c.rec, from.now(), `${dir} stopped before the switch: ${(e as Error).message.split('\n')[0]}`);
    throw e;
  }
  if (!done('replication')) {
    for (const p of pairs.filter((x) => x.method === 'logical')) {
      if (dir === 'cutover') {
        const back = replicationName(p.database, true);
        await to.report.step(`${p.database}: replication turned around (${to.conn.server.name} → ${from.conn.server.name})`, async () => {
          await stopReplication(p.from, p.to, p.name);
          const reach = await withRelay(to, env.name, p.to);
          await startReplication(reach, p.from, { name: back, password: await replicationPassword(to, back), exclude: p.copyAtCutover, copyData: false });
        });
      } else {
        await to.report.step(`${p.database}: replication stopped`, () => stopReplication(p.from, p.to, replicationName(p.database, true)));
      }
    }
    await mark('replication');
  }
  if (!done('switched')) {
    const target = `${reachableAddress(to.conn.server)}:${to.conn.server.httpPort}`;
    await to.report.step(`${to.conn.server.name} serves ${hosts.length} host(s)`, () => setOverrides(to, hosts, { forward: null, holdWrites: null }));
    await from.report.step(`forward to ${target}; writes released`, () => setOverrides(from, hosts, { forward: { to: target }, holdWrites: null }));
    sw.pauseMs = from.now() - (sw.heldAt ?? from.now());
    await mark('switched', `${dir}: ${to.conn.server.name} serves ${env.name}; writes were held ${sw.pauseMs} ms`);
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
