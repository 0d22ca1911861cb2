// bench/lib/deploy-floor.ts — the hand-driven floor for bench/deploy.ts: the essential steps of a
// zero-downtime switch done by direct Engine API calls, with nothing else (no lock, no state
// reads, no reconcile, no audit, no prune). The new container is the one Slipway would create
// (toCreateSpec: same name scheme, labels, networks and release alias); the proxy config is
// Slipway's own (proxyFiles). Afterwards, outside the timing, recordFloorRelease writes the
// release into Slipway's history and proxy bookkeeping so the next `slipway deploy` sees a
// consistent server (the floor's container as the live release, the config it loaded as applied).
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TarEntry } from '../../src/engine/tar.ts';
import { desiredOf } from '../../src/workflows/app-containers.ts';
import { toCreateSpec } from '../../src/workflows/container-create.ts';
import { httpProbe } from '../../src/workflows/http-probe.ts';
import { proxySpec } from '../../src/workflows/proxy.ts';
import { proxyFiles } from '../../src/workflows/proxy-config.ts';
import { readHistory, withLive, writeHistory, type ReleaseRecord } from '../../src/workflows/releases.ts';
import { resolveSpecEnv } from '../../src/workflows/rollout.ts';
import type { ServerRun } from '../../src/workflows/server-run.ts';

/** Health poll interval of the floor (Slipway polls every min(interval, 250) ms). */
export const FLOOR_POLL_MS = 50;

export interface FloorStep {
  label: string;
  ms: number;
}

export interface FloorResult {
  release: string;
  /** From the first Engine call until the old container has stopped. */
  wallMs: number;
  steps: FloorStep[];
  /** What the proxy was loaded with (for recordFloorRelease). */
  files: TarEntry[];
  proxyId: string;
  containerId: string;
}

export async function floorDeploy(run: ServerRun, app: string, env: string, image: string, release: string): Promise<FloorResult> {
  const { engine, dialer } = run.conn;
  const spec = desiredOf(run, app, env).find((s) => s.port !== undefined && s.health);
  const proxy = proxySpec(run);
  if (!spec || !proxy) throw new Error(`floor: ${app}/${env} needs a web process with a health check and a proxy`);
  const steps: FloorStep[] = [];
  const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await fn();
    steps.push({ label, ms: performance.now() - t });
    return r;
  };
  const t0 = performance.now();
  const old = await step('list running containers', () =>
    engine.listContainers({ 'slipway.project': run.fleet.project, 'slipway.app': app, 'slipway.env': env, 'slipway.role': 'app' }),
  );
  const { env: vars } = await resolveSpecEnv(run, spec, release);
  const edges = new Set(run.state.networks.filter((n) => n.purpose === 'edge').map((n) => n.name));
  const id = await step('create (private network only)', () => engine.createContainer(toCreateSpec(spec, { release, image, env: vars, without: edges })));
  await step('start', () => engine.startContainer(id));
  await step(`wait healthy (poll ${FLOOR_POLL_MS} ms)`, async () => {
    const net = spec.networks[0]!.network;
    const info = await engine.inspectContainer(id);
    const ip = info.ipAddresses[net];
    if (!ip) throw new Error(`floor: ${info.name} has no address on ${net}`);
    const deadline = performance.now() + 30_000;
    for (;;) {
      const r = await httpProbe(dialer, ip, spec.port!, spec.health!.path!, 2000);
      if (r.ok) return;
      if (performance.now() > deadline) throw new Error(`floor: ${info.name} did not become healthy: ${r.status ?? r.error}`);
      await sleep(FLOOR_POLL_MS);
    }
  });
  const files = proxyFiles(run.state, 'caddy', { maintenance: new Set(), passwords: new Map() });
  await step('switch (join the edge network under the stable alias)', async () => {
    for (const n of spec.networks.filter((n) => edges.has(n.network)))
      await engine.connectNetwork(n.network, id, [...n.aliases, ...n.aliases.map((a) => `${a}-${release}`)]);
  });
  await step('stop old container (+ leave the edge network)', async () => {
    for (const c of old) {
      await engine.stopContainer(c.id, spec.stopTimeoutS);
      for (const n of edges) await engine.disconnectNetwork(n, c.id, { force: true }).catch(() => undefined);
    }
  });
  const wallMs = performance.now() - t0;
  const proxyId = (await engine.inspectContainer(proxy.name)).id;
  return { release, wallMs, steps, files, proxyId, containerId: id };
}

/** Untimed bookkeeping after a floor run, in Slipway's own formats (see the header). */
export async function recordFloorRelease(run: ServerRun, app: string, env: string, image: string, r: FloorResult): Promise<void> {
  const rec: ReleaseRecord = { release: r.release, image, deployedAt: new Date().toISOString(), deployedBy: 'bench-floor', status: 'live' };
  // The CLI's deploys wrote the history since this process last read it: read it afresh, or their
  // releases would vanish from it (and the next deploy would have to recover their containers).
  run.store.forget();
  await writeHistory(run.store, withLive(await readHistory(run.store, app, env), rec));
  // As src/workflows/proxy.ts records an applied config (its digest() is module-private).
  const h = createHash('sha256');
  for (const f of r.files) h.update(f.path).update('\0').update(f.content).update('\0');
  await run.store.writeJson('proxy/applied.json', { container: r.proxyId, sha: h.digest('hex'), routes: run.state.routes });
}
