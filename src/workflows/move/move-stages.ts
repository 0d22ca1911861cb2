// The stages of a move, in order, each idempotent (a resumed run repeats the one that was cut off):
// preflight → provision → precopy → test → cutover. Every stage reads what it needs from both
// servers again; what later stages need from earlier ones is in the move record.
import { check } from '../../plan/check/check.ts';
import { UserError } from '../../diag/errors.ts';
import type { Route } from '../../plan/desire/desired.ts';
import { envVolumes } from '../backup/volume-source.ts';
import { helperImage } from '../backup/destinations/open.ts';
import { httpProbe } from '../http-probe.ts';
import { secretLookup } from '../secrets-file-lookup.ts';
import type { Secret } from '../../util/secret.ts';
import { setOverrides } from '../proxy-overrides.ts';
import type { ServerRun } from '../server-run.ts';
import { upServer } from '../up.ts';
import { deployOnTarget, envApps, liveRelease, removeWorkers } from './move-apps.ts';
import { envDatabases, endpointOf, replicationName, replicationPassword, withRelay } from './move-pg.ts';
import type { MoveRecord } from './move-record.ts';
import { copySecrets } from './move-secrets.ts';
import type { MoveSides } from './move-session.ts';
import { inspectDatabase, chooseMethod } from './pg-inspect.ts';
import { copySchema, publish, replicationLag, startReplication, stopReplication } from './pg-replicate.ts';
import { syncVolume, type VolumeSide } from './volume-sync.ts';

export interface StageContext {
  sides: MoveSides;
  rec: MoveRecord;
  lockWaitS: number;
  /** Fault injection: called at each recorded point (`after-precopy`, `cutover:held`, …). */
  kill?: (point: string) => void;
}

const majorOfImage = (image: string): number | undefined => {
  const m = /:(\d+)(?:[.-]|$)/.exec(image);
  return m ? Number(m[1]) : undefined;
};

/** Budgets with the environment added, the images and the Postgres majors: nothing is changed. */
export async function preflight(c: StageContext): Promise<void> {
  const { src, dst, env } = c.sides;
  const findings = check(dst.fleet, dst.desired).filter((f) => f.severity === 'error' && (f.server === dst.conn.server.name || f.env === env.name));
  if (findings.length)
    throw new UserError(
      `${dst.conn.server.name} cannot take ${env.name}: ${findings.map((f) => `${f.code}: ${f.message}`).join('; ')}`,
      'fix the fleet file (slipway check shows the same findings with the environment placed there), then run the move again',
    );
  // Each app's live release on the source is what the target runs (its image is shipped, no registry).
  for (const a of envApps(src, env.name)) {
    const rel = await liveRelease(src, a.app.name, env.name);
    await src.conn.engine.imageInspect(rel.image).catch(() => {
      throw new UserError(
        `${src.conn.server.name}: image ${rel.image} of ${a.app.name}'s live release is gone`,
        `deploy ${a.app.name} ${env.name} again first`,
      );
    });
  }
  for (const db of envDatabases(src, env.name)) {
    const running = await src.conn.engine.inspectContainer(db.instance.name).catch(() => undefined);
    if (!running)
      throw new UserError(`${src.conn.server.name}: the Postgres ${db.instance.name} of ${env.name} is not there`, 'run slipway status to see what runs');
    const dstDb = envDatabases(dst, env.name).find((d) => d.database === db.database);
    const from = majorOfImage(running.image);
    const to = dstDb ? majorOfImage(dstDb.instance.image) : undefined;
    if (from !== undefined && to !== undefined && to < from)
      throw new UserError(
        `${db.database}: the target's Postgres image ${dstDb!.instance.image} is older than the source's ${running.image}`,
        'a database moves to the same major or a later one: set services.<name>.image in the fleet file',
      );
    dst.report.info(`    ${db.database}: Postgres ${from ?? '?'} on ${src.conn.server.name} → ${to ?? '?'} on ${dst.conn.server.name}`);
  }
}

/** The target's infrastructure for the environment: networks, services, databases and users, proxy (its test hostnames included). */
export async function provision(c: StageContext): Promise<void> {
  const { dst, env } = c.sides;
  withTestRoutes(dst, env.name, c.sides.env.move?.testPrefix ?? 'test-');
  const copied = await copySecrets(c.sides.src, dst, env.name);
  if (copied.length) dst.report.info(`    secrets copied from ${c.sides.src.conn.server.name} for ${env.name}: ${copied.join(', ')}`);
  await upServer(dst, {});
  await quietWorkers(dst, env.name);
  // A rolled-back earlier move left the target forwarding to the source: the target serves again.
  const hosts = dst.state.routes.filter((r) => r.env === env.name).map((r) => r.host);
  await setOverrides(dst, hosts, { forward: null, holdWrites: null });
}

/**
 * Workers and singletons must not run on the target before the cutover (they would write to its
 * copy of the data, or run a beat on both servers): any left by an earlier attempt, or started
 * again by a deploy's recovery, is removed.
 */
async function quietWorkers(dst: ServerRun, env: string): Promise<void> {
  // Removed, not only stopped: a deploy's recovery starts a stopped container of its release again.
  const removed = await removeWorkers(dst, envApps(dst, env), env);
  if (removed.length) dst.report.warn(`removed ${removed.join(', ')}: workers run on the target only from the cutover on`);
}

/** Adds, to this run's routes, a test hostname for each of the environment's domains (served before the cutover). */
export function withTestRoutes(run: ServerRun, env: string, prefix: string): string[] {
  const added: Route[] = [];
  for (const r of run.state.routes) {
    if (r.env !== env || r.host.startsWith(prefix)) continue;
    const host = `${prefix}${r.host}`;
    if (!run.state.routes.some((x) => x.host === host)) added.push({ ...r, host, maintenance: false });
  }
  run.state.routes.push(...added);
  return run.state.routes.filter((r) => r.env === env && r.host.startsWith(prefix)).map((r) => r.host);
}

export function volumeSides(c: StageContext, from: ServerRun, to: ServerRun): { src: VolumeSide; dst: VolumeSide }[] {
  return envVolumes(from, c.sides.env.name).map((v) => ({
    src: { engine: from.conn.engine, server: from.conn.server.name, volume: v.volume, helperImage: helperImage(from), project: from.fleet.project },
    dst: { engine: to.conn.engine, server: to.conn.server.name, volume: v.volume, helperImage: helperImage(to), project: to.fleet.project },
  }));
}

/** Copies the volumes (first a full copy, later only deltas) and starts each database's replication while the source serves. */
export async function precopy(c: StageContext): Promise<void> {
  const { src, dst, env } = c.sides;
  c.rec.volumes = [];
  for (const v of volumeSides(c, src, dst)) {
    const r = await dst.report.step(`volume ${v.src.volume}`, () => syncVolume(v.src, v.dst));
    dst.report.info(`    ${r.files} files, ${fmtBytes(r.bytes)}; sent ${r.sent} (${fmtBytes(r.sentBytes)}), deleted ${r.deleted}`);
    c.rec.volumes.push({ volume: v.src.volume, files: r.files, bytes: r.bytes });
  }
  c.rec.databases = [];
  for (const db of envDatabases(src, env.name)) {
    const dstDb = envDatabases(dst, env.name).find((d) => d.database === db.database);
    if (!dstDb) throw new UserError(`${dst.conn.server.name} has no database ${db.database} after provisioning`, 'run the move again (--resume)');
    const s = await endpointOf(src, env.name, db);
    const d = await endpointOf(dst, env.name, dstDb);
    const [si, di] = await Promise.all([inspectDatabase(s), inspectDatabase(d)]);
    const m = chooseMethod(si, di);
    const name = replicationName(db.database);
    dst.report.info(`    ${db.database}: ${m.method} (${m.reason})${m.copyAtCutover.length ? `; copied at the cutover: ${m.copyAtCutover.join(', ')}` : ''}`);
    c.rec.databases.push({
      service: db.service,
      database: db.database,
      user: db.user,
      method: m.method,
      reason: m.reason,
      copyAtCutover: m.copyAtCutover,
      name,
    });
    // After a cutover that found the sides different, the copy starts over from an empty target.
    if (c.rec.resync) await dst.report.step(`${db.database}: start over`, () => stopReplication(s, d, name));
    if (m.method !== 'logical') continue;
    await dst.report.step(`schema of ${db.database}`, () => copySchema(s, d));
    // The reverse publication exists before the cutover makes its slot (a slot decodes with the
    // catalog as of its creation: a publication made later is not found by it).
    const back = replicationName(db.database, true);
    await publish(d, { name: back, password: await replicationPassword(dst, back), exclude: m.copyAtCutover });
    const reach = await withRelay(src, env.name, s);
    const password = await replicationPassword(src, name);
    await dst.report.step(`replication of ${db.database} (${si.major} → ${di.major})`, async () => {
      await startReplication(reach, d, { name, password, exclude: m.copyAtCutover });
      // The initial copy is done before the stage is: the cutover's pause then waits only for the last changes.
      for (;;) {
        const lag = await replicationLag(reach, d, name);
        if (lag.initialSyncDone) break;
        await dst.sleep(250);
      }
    });
  }
}

/** The environment's web processes on the target with the source's live releases, and smoke checks on the test hostnames. */
export async function testStage(c: StageContext): Promise<void> {
  const { src, dst, env } = c.sides;
  const prefix = env.move?.testPrefix ?? 'test-';
  const testHosts = withTestRoutes(dst, env.name, prefix);
  await quietWorkers(dst, env.name);
  for (const a of envApps(dst, env.name)) {
    await dst.report.step(`deploy ${a.app.name} (${a.web.join(', ') || 'no web process'}) on ${dst.conn.server.name}`, () =>
      deployOnTarget(src, dst, a.app, env.name, a.web, c.lockWaitS),
    );
  }
  await quietWorkers(dst, env.name);
  c.rec.testHosts = testHosts;
  const failures: string[] = [];
  await dst.report.step(`smoke checks on ${testHosts.length} test hostname(s)`, async () => {
    for (const host of testHosts) {
      const route = dst.state.routes.find((r) => r.host === host)!;
      const paths = new Set<string>([...healthPaths(dst, route), ...(env.move?.checks ?? [])]);
      const auth = await basicAuthOf(dst, route);
      for (const path of paths) {
        const r = await probeWithRetry(dst, host, path, auth);
        dst.report.info(`    http://${host}${path}: ${r.status ?? r.error}`);
        if (!r.ok) failures.push(`http://${host}${path} answered ${r.status ?? r.error}`);
      }
    }
  });
  if (failures.length)
    throw new UserError(
      `the target does not pass its smoke checks: ${failures.join('; ')}`,
      `look at it on ${dst.conn.server.name} (slipway logs APP ${env.name}); the source still serves everything; run the move again with --resume once fixed`,
    );
}

function healthPaths(run: ServerRun, route: Route): string[] {
  const app = run.fleet.apps.find((a) => a.name === route.app);
  const procs = app?.perEnv[route.env]?.processes ?? [];
  return procs.filter((p) => p.port !== undefined && p.health?.path).map((p) => p.health!.path!);
}

async function probeWithRetry(run: ServerRun, host: string, path: string, auth: Secret | undefined) {
  let last = await httpProbe(run.conn.dialer, '127.0.0.1', run.conn.server.httpPort, path, 5000, host, auth);
  for (let i = 0; i < 20 && !last.ok; i++) {
    await run.sleep(500);
    last = await httpProbe(run.conn.dialer, '127.0.0.1', run.conn.server.httpPort, path, 5000, host, auth);
  }
  return last;
}

/** The `Authorization` value of a route behind basic auth (its first user, with the environment's password). */
async function basicAuthOf(run: ServerRun, route: Route): Promise<Secret | undefined> {
  const u = route.basicAuth?.[0];
  if (!u) return undefined;
  const pw = await secretLookup(run).getSecret(u.secret, route.env);
  return pw?.map((p) => `Basic ${Buffer.from(`${u.user}:${p}`).toString('base64')}`);
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
