// Status of a server: every desired container (apps, services, proxy) with what actually runs —
// release, state, live health probe, uptime, memory used against its limit. Running containers
// are read through observe and matched to the desired ones by their key from labels.
import type { ObservedContainer } from '../plan/diff/observed.ts';
import { httpProbe } from './http-probe.ts';
import { observeListed } from './observe.ts';
import type { ServerRun } from './server-run.ts';

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
  const byKey = new Map<string, ObservedContainer>();
  // Two running copies of one key (mid-deploy): the newer is shown.
  for (const c of await observeListed(engine, run.fleet.project, { all: false })) {
    if (c.role === 'release-task') continue;
    const seen = byKey.get(c.key);
    if (!seen || (c.createdAt ?? '') > (seen.createdAt ?? '')) byKey.set(c.key, c);
  }
  const specs = run.state.containers.filter((s) => !envFilter || s.env === envFilter);
  return Promise.all(
    specs.map(async (s): Promise<StatusRow> => {
      const c = byKey.get(s.key);
      const base: StatusRow = {
        server: run.conn.server.name,
        env: s.env ?? '-',
        app: s.app ?? s.service ?? s.role,
        process: s.process ?? s.role,
        replica: s.replica,
        role: s.role,
        container: c?.name ?? null,
        release: c?.release ?? null,
        state: c ? c.state : 'not deployed',
        health: 'n/a',
        uptimeS: null,
        memUsage: null,
        memLimit: null,
      };
      if (!c) return base;
      const id = c.id ?? c.name;
      const [info, stats] = await Promise.all([engine.inspectContainer(id), engine.stats(id).catch(() => undefined)]);
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
