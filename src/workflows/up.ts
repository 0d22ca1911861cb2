// `up`: applies the infrastructure part of the desired state on one server — networks, volumes,
// shared services with their databases and Redis DB allocations, and the proxy. App containers
// are left to `deploy`. Idempotent: a second run changes nothing.
import { createHash } from 'node:crypto';
import type { ServerRun } from './server-run.ts';
import { EnvLock } from './lock.ts';
import { audit } from './audit.ts';
import { ensureServices } from './services.ts';
import { ensureProxy, proxyInputs, reloadProxy } from './proxy.ts';
import { saveRedisAllocations } from './redis-allocations.ts';
import { LABELS } from '../model/labels.ts';

export interface UpResult {
  server: string;
  networksCreated: string[];
  volumesCreated: string[];
  services: number;
  databases: number;
  redisDbs: number;
  proxy: boolean;
}

/**
 * `up` as a command: holds the lock of every environment on the server (in name order, so two
 * `up`s cannot deadlock) so no deploy or rollback runs underneath it.
 */
export async function upServerLocked(run: ServerRun, opts: { lockWaitS: number }): Promise<UpResult> {
  const envs = [...new Set(run.state.networks.map((n) => n.env))].sort();
  const locks: EnvLock[] = [];
  try {
    for (const env of envs) {
      const lock = new EnvLock(run.conn.engine, run.fleet.project, env);
      await lock.acquire({ command: 'up', waitS: opts.lockWaitS, now: run.now, onNote: (m) => run.report.warn(m), onContended: () => run.store.forget() });
      locks.push(lock);
    }
    const t0 = run.now();
    try {
      const result = await upServer(run);
      await audit(
        run.store,
        {
          action: 'up',
          outcome: 'ok',
          durationMs: run.now() - t0,
          detail: `${result.networksCreated.length} networks, ${result.volumesCreated.length} volumes created; ${result.services} services, ${result.databases} databases`,
        },
        run.now,
      );
      return result;
    } catch (e) {
      await audit(run.store, { action: 'up', outcome: 'failed', detail: (e as Error).message.split('\n')[0] }, run.now).catch(() => undefined);
      throw e;
    }
  } finally {
    for (const l of locks.reverse()) await l.release().catch(() => undefined);
  }
}

export async function upServer(run: ServerRun): Promise<UpResult> {
  const { engine } = run.conn;
  const project = run.fleet.project;
  await run.report.step('state volume', () => run.store.ensure());
  const networksCreated: string[] = [];
  const volumesCreated: string[] = [];
  await run.report.step('networks and volumes', async () => {
    const nets = new Set((await engine.listNetworks({ [LABELS.project]: project })).map((n) => n.name));
    for (const n of run.state.networks) {
      if (nets.has(n.name)) continue;
      await engine.createNetwork({ name: n.name, labels: n.labels });
      networksCreated.push(n.name);
    }
    const vols = new Set((await engine.listVolumes({})).map((v) => v.name));
    for (const v of run.state.volumes) {
      if (vols.has(v.name)) continue;
      await engine.createVolume({ name: v.name, labels: v.labels });
      volumesCreated.push(v.name);
    }
  });
  const { services, databases } = await ensureServices(run);
  await saveRedisAllocations(run);
  const hasProxy = run.state.containers.some((c) => c.role === 'proxy');
  if (hasProxy) {
    await run.report.step(`proxy (${run.conn.server.proxy})`, async () => {
      const inputs = await proxyInputs(run);
      await ensureProxy(run, inputs);
      await reloadProxy(run, inputs);
    });
  }
  await run.store.writeJson(INFRA_APPLIED, { digest: infraDigest(run) });
  return { server: run.conn.server.name, networksCreated, volumesCreated, services, databases, redisDbs: run.state.redisDbs.length, proxy: hasProxy };
}

const INFRA_APPLIED = 'infra/applied.json';

/** Everything `up` converges on this server, as one digest (secrets by name only). */
export function infraDigest(run: ServerRun): string {
  const s = run.state;
  const infra = {
    networks: s.networks.map((n) => n.name),
    volumes: s.volumes.map((v) => v.name),
    containers: s.containers.filter((c) => c.role !== 'app').map((c) => `${c.name}@${c.specHash}`),
    routes: s.routes,
    databases: s.databases,
    redisDbs: s.redisDbs,
  };
  return createHash('sha256').update(JSON.stringify(infra)).digest('hex');
}

/**
 * Is the infrastructure already what the fleet wants? True when the last `up` applied this exact
 * digest and every service and the proxy still run with their spec: one state read and one
 * container list, so a deploy does not redo `up` on its critical path.
 */
export async function infraCurrent(run: ServerRun): Promise<boolean> {
  const applied = await run.store.readJson<{ digest: string }>(INFRA_APPLIED);
  if (applied?.digest !== infraDigest(run)) return false;
  const running = await run.conn.engine.listContainers({ [LABELS.project]: run.fleet.project }, { all: false });
  return run.state.containers
    .filter((c) => c.role === 'service' || c.role === 'proxy')
    .every((c) => running.some((r) => r.name === c.name && r.labels[LABELS.specHash] === c.specHash));
}
