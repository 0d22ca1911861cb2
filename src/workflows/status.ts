// Status of a server: every desired container (apps, services, proxy) with what actually runs —
// release, state, live health probe, uptime, memory used against its limit.
import type { ContainerSummary } from '../engine/docker-engine.ts';
import { httpProbe } from './http-probe.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';

export interface StatusRow {
  server: string;
  env: string;
  app: string;
  process: string;
  replica: number;
  role: string;
  container: string | null;
  release: string | null;
  state: string;
  health: 'healthy' | 'unhealthy' | 'running' | 'n/a';
  uptimeS: number | null;
  memUsage: number | null;
  memLimit: number | null;
}

export async function serverStatus(run: ServerRun, envFilter?: string): Promise<StatusRow[]> {
  const { engine, dialer } = run.conn;
  const running = await engine.listContainers({ [LABELS.project]: run.fleet.project }, { all: false });
  const byKey = new Map<string, ContainerSummary>();
  for (const c of running) {
    const l = c.labels;
    const key =
      l[LABELS.role] === 'app'
        ? `${l[LABELS.app]}/${l[LABELS.env]}/${l[LABELS.process]}/${l[LABELS.replica] ?? '0'}`
        : l[LABELS.role] === 'proxy'
          ? 'proxy'
          : c.name;
    byKey.set(key, c);
  }
  const specs = run.state.containers.filter((s) => !envFilter || s.env === envFilter);
  return Promise.all(
    specs.map(async (s): Promise<StatusRow> => {
      const c = s.role === 'app' ? byKey.get(s.key) : s.role === 'proxy' ? byKey.get('proxy') : byKey.get(s.name);
      const base: StatusRow = {
        server: run.conn.server.name,
        env: s.env ?? '-',
        app: s.app ?? s.service ?? s.role,
        process: s.process ?? s.role,
        replica: s.replica,
        role: s.role,
        container: c?.name ?? null,
        release: c?.labels[LABELS.release] ?? null,
        state: c ? c.state : 'not deployed',
        health: 'n/a',
        uptimeS: null,
        memUsage: null,
        memLimit: null,
      };
      if (!c) return base;
      const [info, stats] = await Promise.all([engine.inspectContainer(c.id), engine.stats(c.id).catch(() => undefined)]);
      base.uptimeS = info.startedAt ? Math.max(0, Math.round((run.now() - Date.parse(info.startedAt)) / 1000)) : null;
      base.memUsage = stats?.memUsage ?? null;
      base.memLimit = info.memoryLimit || null;
      base.health = 'running';
      if (s.health?.path !== undefined && s.port !== undefined) {
        const ip = info.ipAddresses[s.networks[0]?.network ?? ''] ?? Object.values(info.ipAddresses)[0];
        base.health = ip && (await httpProbe(dialer, ip, s.port, s.health.path, 2000)).ok ? 'healthy' : 'unhealthy';
      } else if (s.health?.command !== undefined && (info.health === 'healthy' || info.health === 'unhealthy')) base.health = info.health;
      return base;
    }),
  );
}
