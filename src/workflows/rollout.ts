// The zero-downtime switch of one app in one environment to a release, shared by deploy and
// rollback. Per process slot, the rollout first decides (rollout-plan.ts): a running container
// whose spec hash and image still match is carried into the release untouched (a postgres:15
// process with an unchanged spec keeps running); any other slot gets a new container, start-first,
// or stop-first for a singleton or a stateful process (a database, broker, or a process owning a
// data volume), so that two of those never run at once; a one-off task (compose
// `service_completed_successfully`) runs to completion. Then, in dependency order (compose
// `depends_on`: a process starts once what it waits for is started, healthy or completed):
//   1. start the new containers (replicas one at a time) on the environment's private networks
//      only, each checked ready from the server — the proxy cannot reach them yet;
//   2. stop-first processes: the old container is stopped before its successor is created; a task
//      runs (exit 0, or the rollout fails with its output and nothing after it starts);
//   3. switch: the healthy web containers join the edge network under the stable alias the proxy
//      routes to, so the proxy starts sending them new connections — without a proxy reload
//      (a reload closes clients' idle keep-alive connections, which loses requests);
//   4. record the release as live on the server, with the containers it carried from earlier ones;
//   5. drain (the proxy's DNS view catches up), then stop the replaced containers gracefully: they
//      stop accepting, finish in-flight requests, and the proxy retries refused dials on the
//      new ones; then they leave the edge network;
//   6. keep the last N releases' containers stopped for instant rollback, remove older ones.
// A failure before step 3 removes what it started and starts again what it stopped: the old
// release never stopped serving.
import type { App } from '../config/fleet.ts';
import type { ContainerSummary } from '../engine/docker-engine.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { desiredOf, existingOf, imageFor, releaseImage, releaseOf } from './app-containers.ts';
import { releaseAlias, toCreateSpec } from './container-create.ts';
import { resolveSpecEnv } from './spec-env.ts';
import { waitReady } from './health.ts';
import { readHistory, withLive, writeHistory, type ReleaseRecord } from './releases.ts';
import { runTask } from './release-tasks.ts';
import { releaseTags } from './release-image.ts';
import { planRollout, slotOf, type SlotStep } from './rollout-plan.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';

export interface RolloutOptions {
  drainMs: number;
  keep: number;
  /** Called at each step boundary (fault injection in tests, progress elsewhere). */
  checkpoint: (step: string) => void;
  /** The app's containers in the environment as the caller just listed them under the lock (saves a listing). */
  before?: ContainerSummary[];
  /**
   * Awaited once the new release's start-first web containers run healthy, before any old
   * container is touched, work is taken or traffic moves; if it rejects, what was started is
   * undone (a caller's checks that ran alongside the start).
   */
  gate?: () => Promise<void>;
  /** Only these processes are replaced (`deploy APP ENV PROCESS…`); the others keep running as they are. */
  processes?: readonly string[];
  /** Run one-off tasks (default true; a rollback does not run them again). */
  runTasks?: boolean;
}

export { resolveSpecEnv, type Resolved } from './spec-env.ts';

export async function rollout(run: ServerRun, app: App, env: string, rec: ReleaseRecord, opts: RolloutOptions): Promise<void> {
  const { engine } = run.conn;
  const release = rec.release;
  const appImage = app.source.kind === 'image' ? app.source.image : undefined;
  const specs = desiredOf(run, app.name, env);
  const before = opts.before ?? (await existingOf(run, app.name, env));
  const imageOf = (spec: ContainerSpec) => imageFor(spec, run.fleet.project, release, appImage);
  const plan = await planRollout({
    specs,
    before,
    release,
    imageOf,
    imageId: async (ref) => (await engine.imageInspect(ref))?.id,
    processes: opts.processes,
    runTasks: opts.runTasks ?? true,
  });
  for (const note of plan.notes) run.report.info(`    ${note}`);
  // Leftovers of this release that are neither carried nor reusable (an interrupted attempt).
  for (const c of plan.leftovers) {
    if (c.state === 'running') await engine.stopContainer(c.id, specFor(specs, c.labels)?.stopTimeoutS ?? 10).catch(ignoreMissing);
    await engine.removeContainer(c.id, { force: true }).catch(ignoreMissing);
  }
  const edges = edgeNetworks(run);
  const started: { id: string; spec: ContainerSpec; reused: boolean }[] = [];
  const joined: { id: string; spec: ContainerSpec }[] = [];
  const stoppedFirst: string[] = [];
  const undo = async () => {
    // Newest first; a stateful container stops gracefully before it goes (its volume is reused).
    for (const s of [...started].reverse()) {
      if (s.reused || s.spec.stateful) await engine.stopContainer(s.id, s.spec.stopTimeoutS).catch(() => undefined);
      if (!s.reused) await engine.removeContainer(s.id, { force: true }).catch(() => undefined);
    }
    for (const id of stoppedFirst) await engine.startContainer(id).catch(() => undefined);
  };
  let gated = false;
  const gate = async () => {
    if (!gated) await opts.gate?.();
    gated = true;
  };
  try {
    for (const step of plan.steps) {
      if (step.kind === 'carry' || step.kind === 'skip') continue;
      // Only start-first web containers start before the gate: off the edge network they get no
      // traffic, while a worker, a task or a stop-first replacement would touch what serves.
      if (step.kind !== 'start' || step.stopFirst || step.spec.port === undefined) await gate();
      await waitForDependencies(run, plan.steps, step);
      if (step.kind === 'task') {
        await run.report.step(`task ${step.spec.process} (${release})`, async () => {
          const resolved = await resolveSpecEnv(run, step.spec, release);
          await runTask(run, step.spec, release, toCreateSpec(step.spec, { release, image: imageOf(step.spec), env: resolved.env, without: edges }), resolved);
        });
        continue;
      }
      const spec = step.spec;
      await run.report.step(`start ${spec.name}-${release}${step.stopFirst ? ' (stop-first)' : ''}`, async () => {
        const resolved = await resolveSpecEnv(run, spec, release);
        for (const old of step.stopFirst ? step.replaces.filter((c) => c.state === 'running' && !stoppedFirst.includes(c.id)) : []) {
          await engine.stopContainer(old.id, specFor(specs, old.labels)?.stopTimeoutS ?? spec.stopTimeoutS);
          stoppedFirst.push(old.id);
          await leaveEdge(run, old.id);
        }
        if (step.reuse) await leaveEdge(run, step.reuse);
        const id = step.reuse ?? (await engine.createContainer(toCreateSpec(spec, { release, image: imageOf(spec), env: resolved.env, without: edges })));
        started.push({ id, spec, reused: step.reuse !== undefined });
        step.started = id;
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
    const live: ReleaseRecord = { ...rec };
    if (Object.keys(plan.carried).length > 0) live.carried = plan.carried;
    else delete live.carried;
    const history = withLive(await readHistory(run.store, app.name, env), live);
    await writeHistory(run.store, history);
    opts.checkpoint('recorded');
    if (routed && opts.drainMs > 0) await run.report.step(`drain ${opts.drainMs} ms`, () => run.sleep(opts.drainMs));
    opts.checkpoint('drained');
  } catch (e) {
    await undo();
    throw e;
  }
  const keep = new Set([...plan.kept, ...started.map((s) => s.id), ...stoppedFirst, ...plan.leftovers.map((c) => c.id)]);
  const replaced = before.filter((c) => c.state === 'running' && !keep.has(c.id));
  if (replaced.length > 0)
    await run.report.step('stop previous containers', async () => {
      await Promise.all(
        replaced.map(async (c) => {
          await engine.stopContainer(c.id, specFor(specs, c.labels)?.stopTimeoutS ?? 10).catch(ignoreMissing);
          await leaveEdge(run, c.id);
        }),
      );
    });
  opts.checkpoint('stopped-old');
  await prune(run, app.name, env, opts.keep);
}

/** Waits until every process `step` waits for meets its condition (those started or run by this rollout already have). */
async function waitForDependencies(run: ServerRun, steps: readonly SlotStep[], step: SlotStep): Promise<void> {
  for (const dep of step.spec.waitsFor ?? []) {
    if (dep.condition !== 'service_healthy') continue; // started: running by now; completed: a task ran (or failed the rollout)
    for (const d of steps.filter((s) => s.spec.process === dep.process && s.kind === 'carry')) {
      // A carried dependency was not checked by this rollout: it must be healthy now.
      if (d.current) await waitReady(run, d.current.id, d.spec, [], { workerSettleMs: 0 });
    }
  }
}

/** Removes containers (and image tags) of releases beyond the last `keep`; containers a kept release carries stay. */
export async function prune(run: ServerRun, app: string, env: string, keep: number): Promise<string[]> {
  const { engine } = run.conn;
  const history = await readHistory(run.store, app, env);
  const keptRecords = history.releases.filter((r) => r.status === 'live' || r.status === 'previous').slice(0, keep);
  const kept = new Set(keptRecords.map((r) => r.release));
  const carried = new Set(keptRecords.flatMap((r) => Object.entries(r.carried ?? {}).map(([slot, rel]) => `${slot}@${rel}`)));
  const removed: string[] = [];
  for (const c of await existingOf(run, app, env)) {
    if (kept.has(releaseOf(c)) || c.state === 'running' || carried.has(`${slotOf(c.labels)}@${releaseOf(c)}`)) continue;
    await engine.removeContainer(c.id, { force: true }).catch(ignoreMissing);
    removed.push(c.name);
  }
  // Tags of older releases (the app's and each built process's; most already gone), at once
  // rather than one round trip each.
  const appSpec = run.fleet.apps.find((a) => a.name === app);
  const tagsOf = (release: string) => (appSpec ? releaseTags(run.fleet, appSpec, env, release) : [releaseImage(run.fleet.project, app, env, release)]);
  await Promise.all(
    history.releases
      .filter((r) => !kept.has(r.release) && r.status !== 'live')
      .flatMap((r) => tagsOf(r.release))
      .map((tag) => engine.removeImage(tag).catch(() => undefined)),
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

function specFor(specs: readonly ContainerSpec[], labels: Record<string, string>): ContainerSpec | undefined {
  return specs.find((s) => s.process === labels[LABELS.process] && String(s.replica) === (labels[LABELS.replica] ?? '0'));
}

function ignoreMissing(e: unknown): void {
  if (!isNotFound(e)) throw e;
}
