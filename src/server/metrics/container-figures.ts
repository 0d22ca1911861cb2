// Per container of the fleet on one engine: CPU seconds, memory and its limit (a one-shot
// `docker stats`), Docker's restart count and health (inspect). Only the project's long-running
// containers (apps, services, the proxy) are read; release tasks, probes, locks and the state
// holder are not. The port's stats() has no CPU figure, so with dockerode's engine the raw stats
// are read (memory counted as `docker stats` counts it: reclaimable page cache left out).
import type { DockerEngine } from '../../engine/docker-engine.ts';
import { DockerodeEngine } from '../../engine/dockerode-engine.ts';
import { LABELS } from '../../model/labels.ts';
import { mapLimit } from '../../util/map-limit.ts';
import type { ContainerSample } from './metrics-source.ts';

const SKIPPED_ROLES = new Set(['release-task', 'probe', 'lock', 'state']);
const CONCURRENCY = 4;

interface RawStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
}

/** CPU seconds (NaN when unknown), memory used and the limit the kernel applies. */
async function stats(engine: DockerEngine, id: string): Promise<{ cpuSeconds: number; memUsage: number }> {
  if (engine instanceof DockerodeEngine) {
    const s = (await engine.docker.getContainer(id).stats({ stream: false, 'one-shot': true })) as RawStats;
    const m = s.memory_stats ?? {};
    const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
    const ns = s.cpu_stats?.cpu_usage?.total_usage;
    return { cpuSeconds: ns === undefined ? Number.NaN : ns / 1e9, memUsage: Math.max(0, (m.usage ?? 0) - cache) };
  }
  const s = await engine.stats(id);
  return { cpuSeconds: Number.NaN, memUsage: s.memUsage };
}

/** The running containers of `project` on `engine`, sampled; one that vanishes meanwhile is left out. */
export async function readContainerFigures(engine: DockerEngine, server: string, project: string): Promise<ContainerSample[]> {
  const listed = (await engine.listContainers({ [LABELS.project]: project }, { all: false })).filter((c) => !SKIPPED_ROLES.has(c.labels[LABELS.role] ?? ''));
  const read = await mapLimit(listed, CONCURRENCY, async (c): Promise<ContainerSample | undefined> => {
    try {
      const [info, s] = await Promise.all([engine.inspectContainer(c.id), stats(engine, c.id)]);
      const l = c.labels;
      const role = l[LABELS.role] ?? 'container';
      return {
        server,
        project,
        env: l[LABELS.env] ?? '-',
        app: l[LABELS.app] ?? l[LABELS.service] ?? role,
        process: l[LABELS.process] ?? role,
        container: c.name,
        cpuSeconds: s.cpuSeconds,
        memoryBytes: s.memUsage,
        ...(info.memoryLimit > 0 ? { memoryLimitBytes: info.memoryLimit } : {}),
        restarts: info.restartCount,
        health: info.health,
      };
    } catch {
      return undefined; // removed between the listing and the reading (a deploy switching)
    }
  });
  return read.filter((c): c is ContainerSample => c !== undefined).sort((a, b) => a.container.localeCompare(b.container));
}
