// The zero-downtime switch of one app in one environment to a release, shared by deploy and
// rollback:
//   1. start the new containers (replicas one at a time) on the environment's private network
//      only, each checked healthy from the server — the proxy cannot reach them yet;
//   2. singletons (celery beat…) are stopped before their successor starts;
//   3. switch: the healthy web containers join the edge network under the stable alias the proxy
//      routes to, so the proxy starts sending them new connections — without a proxy reload
//      (a reload closes clients' idle keep-alive connections, which loses requests);
//   4. record the release as live on the server;
//   5. drain (the proxy's DNS view catches up), then stop the old containers gracefully: they
//      stop accepting, finish in-flight requests, and the proxy retries refused dials on the
//      new ones; then they leave the edge network;
//   6. keep the last N releases' containers stopped for instant rollback, remove older ones.
// A failure before step 3 removes what it started: the old release never stopped serving.
import type { App } from '../config/fleet.ts';
import type { ContainerSummary } from '../engine/docker-engine.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { desiredOf, existingOf, imageFor, releaseImage, releaseOf } from './app-containers.ts';
import { releaseAlias, toCreateSpec } from './container-create.ts';
import { resolveEnv } from './env-resolve.ts';
import { secretLookup } from './secrets-file-lookup.ts';
import { waitReady } from './health.ts';
import { readHistory, withLive, writeHistory, type ReleaseRecord } from './releases.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';
import type { Secret } from '../util/secret.ts';

export interface RolloutOptions {
  drainMs: number;
  keep: number;
  /** Called at each step boundary (fault injection in tests, progress elsewhere). */
  checkpoint: (step: string) => void;
  /** The app's containers in the environment as the caller just listed them under the lock (saves a listing). */
  before?: ContainerSummary[];
  /**
   * Awaited once the new release's non-singleton containers run healthy, before any old container
   * is touched or traffic moves; if it rejects, what was started is undone (a caller's checks that
   * ran alongside the start).
   */
  gate?: () => Promise<void>;
}

export interface Resolved {
  /** Secrets stay wrapped: the engine adapter unwraps them. */
  env: Record<string, string | Secret>;
  /** To redact from container output that is shown. */
  secrets: Secret[];
}

export async function resolveSpecEnv(run: ServerRun, spec: ContainerSpec, release: string): Promise<Resolved> {
  const r = await resolveEnv(spec.env_vars, secretLookup(run), spec.name, spec.env);
  return {
    env: { ...r.env, SLIPWAY_APP: spec.app ?? '', SLIPWAY_ENV: spec.env ?? '', SLIPWAY_PROCESS: spec.process ?? '', SLIPWAY_RELEASE: release },
    secrets: r.secrets,
  };
}

export async function rollout(run: ServerRun, app: App, env: string, rec: ReleaseRecord, opts: RolloutOptions): Promise<void> {
  const { engine } = run.conn;
  const release = rec.release;
  const appImage = app.source.kind === 'image' ? app.source.image : undefined;
  const specs = desiredOf(run, app.name, env).sort((a, b) => Number(b.port !== undefined) - Number(a.port !== undefined) || a.key.localeCompare(b.key));
  const before = opts.before ?? (await existingOf(run, app.name, env));
  // Containers of this release that still match the spec (kept, stopped, by an earlier deploy)
  // are started again (instant rollback); any other leftover of this release is replaced.
  const reusable = new Map<string, string>();
  for (const c of before.filter((c) => releaseOf(c) === release)) {
    const spec = specs.find((s) => sameSlot(c.labels, s));
    if (spec && c.labels[LABELS.specHash] === spec.specHash && c.state !== 'running') reusable.set(spec.key, c.id);
    else await engine.removeContainer(c.id, { force: true });
  }
  const old = before.filter((c) => releaseOf(c) !== release);
  const edges = edgeNetworks(run);
  const started: string[] = [];
  const joined: { id: string; spec: ContainerSpec }[] = [];
  const stoppedSingletons: string[] = [];
  const undo = async () => {
    const kept = new Set(reusable.values());
    for (const id of started) await (kept.has(id) ? engine.stopContainer(id, 5) : engine.removeContainer(id, { force: true })).catch(() => undefined);
    for (const id of stoppedSingletons) await engine.startContainer(id).catch(() => undefined);
  };
  let gated = false;
  const gate = async () => {
    if (!gated) await opts.gate?.();
    gated = true;
  };
  try {
    for (const spec of [...specs.filter((s) => !s.singleton), ...specs.filter((s) => s.singleton)]) {
      // Only web processes start before the gate: off the edge network they get no traffic, while a
      // worker or a singleton would start taking work.
      if (spec.singleton || spec.port === undefined) await gate();
      await run.report.step(`start ${spec.name}-${release}`, async () => {
        const resolved = await resolveSpecEnv(run, spec, release);
        if (spec.singleton) {
          for (const c of old.filter((c) => c.state === 'running' && sameSlot(c.labels, spec))) {
            await engine.stopContainer(c.id, spec.stopTimeoutS);
            stoppedSingletons.push(c.id);
          }
        }
        const reused = reusable.get(spec.key);
        if (reused) await leaveEdge(run, reused);
        const id =
          reused ??
          (await engine.createContainer(
            toCreateSpec(spec, { release, image: imageFor(spec, run.fleet.project, release, appImage), env: resolved.env, without: edges }),
          ));
        started.push(id);
        await engine.startContainer(id);
        await waitReady(run, id, spec, resolved.secrets);
        if (spec.networks.some((n) => edges.has(n.network))) joined.push({ id, spec });
      });
    }
    await gate();
    opts.checkpoint('started');
    const routed = joined.length > 0;
    if (routed) {
      await run.report.step(`switch traffic to ${release}`, async () => {
        for (const { id, spec } of joined) {
          for (const n of spec.networks.filter((n) => edges.has(n.network)))
            await engine.connectNetwork(n.network, id, [...n.aliases, ...n.aliases.map((a) => releaseAlias(a, release))]);
        }
      });
    }
    opts.checkpoint('switched');
    const history = withLive(await readHistory(run.store, app.name, env), rec);
    await writeHistory(run.store, history);
    opts.checkpoint('recorded');
    if (routed && opts.drainMs > 0) await run.report.step(`drain ${opts.drainMs} ms`, () => run.sleep(opts.drainMs));
    opts.checkpoint('drained');
  } catch (e) {
    await undo();
    throw e;
  }
  await run.report.step('stop previous containers', async () => {
    await Promise.all(
      old
        .filter((c) => c.state === 'running' && !stoppedSingletons.includes(c.id))
        .map(async (c) => {
          const spec = specs.find((s) => sameSlot(c.labels, s));
          await engine.stopContainer(c.id, spec?.stopTimeoutS ?? 10).catch(ignoreMissing);
          await leaveEdge(run, c.id);
        }),
    );
  });
  opts.checkpoint('stopped-old');
  await prune(run, app.name, env, opts.keep);
}

/** Removes containers (and image tags) of releases beyond the last `keep`. */
export async function prune(run: ServerRun, app: string, env: string, keep: number): Promise<string[]> {
  const { engine } = run.conn;
  const history = await readHistory(run.store, app, env);
  const kept = new Set(
    history.releases
      .filter((r) => r.status === 'live' || r.status === 'previous')
      .slice(0, keep)
      .map((r) => r.release),
  );
  const removed: string[] = [];
  for (const c of await existingOf(run, app, env)) {
    if (kept.has(releaseOf(c)) || c.state === 'running') continue;
    await engine.removeContainer(c.id, { force: true }).catch(ignoreMissing);
    removed.push(c.name);
  }
  // Tags of older releases (most already gone), at once rather than one round trip each.
  await Promise.all(
    history.releases
      .filter((r) => !kept.has(r.release) && r.status !== 'live')
      .map((r) => engine.removeImage(releaseImage(run.fleet.project, app, env, r.release)).catch(() => undefined)),
  );
  return removed;
}

/** Edge networks of this server: the proxy routes to what is attached to them. */
export function edgeNetworks(run: ServerRun): Set<string> {
  return new Set(run.state.networks.filter((n) => n.purpose === 'edge').map((n) => n.name));
}

/** Takes a (stopped or stopping) container out of the proxy's reach. */
export async function leaveEdge(run: ServerRun, id: string): Promise<void> {
  const edges = edgeNetworks(run);
  const info = await run.conn.engine.inspectContainer(id).catch(() => undefined);
  for (const n of info?.networks ?? []) if (edges.has(n.name)) await run.conn.engine.disconnectNetwork(n.name, id, { force: true }).catch(ignoreMissing);
}

function sameSlot(labels: Record<string, string>, spec: ContainerSpec): boolean {
  return labels[LABELS.process] === spec.process && (labels[LABELS.replica] ?? '0') === String(spec.replica);
}

function ignoreMissing(e: unknown): void {
  if (!isNotFound(e)) throw e;
}
