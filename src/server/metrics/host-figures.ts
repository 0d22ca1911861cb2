// What one server's engine can tell about the machine it runs on: memory (total and used), the
// file system that holds the Docker root (used and total) and the load average. The Engine API
// gives the total memory, the CPU count and the Docker root's path (/info); the rest is read by a
// short-lived helper container (an image already on the server, no network, the Docker root
// bound read-only): /proc/meminfo and /proc/loadavg, which a container shares with its host's
// kernel, and `df -P -k` of the Docker root. The same works on the local engine and over SSH, and
// needs no shell account on the server beyond the Engine API. Parsing is pure and tested.
import { randomBytes } from 'node:crypto';
import type { DockerEngine } from '../../engine/docker-engine.ts';
import { DockerodeEngine } from '../../engine/dockerode-engine.ts';
import { LABELS } from '../../model/labels.ts';

export interface HostFigures {
  memoryUsedBytes: number;
  memoryTotalBytes: number;
  diskUsedBytes: number;
  diskTotalBytes: number;
  load1: number;
  cpus: number;
}

const MOUNT = '/docker-root';
const SEPARATOR = '--slipway--';
/** A fixed script (no input reaches it): the three readings, separated. */
const SCRIPT = `cat /proc/meminfo; echo ${SEPARATOR}; cat /proc/loadavg; echo ${SEPARATOR}; df -P -k ${MOUNT}`;
const HELPER_TIMEOUT_MS = 20_000;

/** The helper's output → figures; undefined fields when a part is unreadable. */
export function parseHostReadings(out: string): { memTotal?: number; memAvailable?: number; load1?: number; diskTotal?: number; diskUsed?: number } {
  const [meminfo = '', loadavg = '', df = ''] = out.split(SEPARATOR);
  const kib = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const load = Number(loadavg.trim().split(/\s+/)[0]);
  // `df -P`: a header, then one line "fs blocks used available capacity mountpoint" (1024-byte blocks).
  const line = df
    .trim()
    .split('\n')
    .find((l) => l.trim().endsWith(` ${MOUNT}`));
  const cols = line?.trim().split(/\s+/) ?? [];
  const blocks = Number(cols[1]);
  const used = Number(cols[2]);
  return {
    memTotal: kib('MemTotal'),
    memAvailable: kib('MemAvailable'),
    ...(Number.isFinite(load) && loadavg.trim() !== '' ? { load1: load } : {}),
    ...(cols.length >= 6 && Number.isFinite(blocks) && Number.isFinite(used) ? { diskTotal: blocks * 1024, diskUsed: used * 1024 } : {}),
  };
}

/** The Docker root's path and the engine's view of the machine (raw /info when the engine is dockerode's). */
async function engineInfo(engine: DockerEngine): Promise<{ memTotal: number; ncpu: number; dockerRoot: string }> {
  if (engine instanceof DockerodeEngine) {
    const i = (await engine.docker.info()) as { MemTotal?: number; NCPU?: number; DockerRootDir?: string };
    return { memTotal: i.MemTotal ?? 0, ncpu: i.NCPU ?? 0, dockerRoot: i.DockerRootDir || '/var/lib/docker' };
  }
  const i = await engine.info();
  return { memTotal: i.memTotal, ncpu: i.ncpu, dockerRoot: '/var/lib/docker' };
}

/**
 * Reads the figures of the engine's machine with a helper container of `image` (it needs `sh`,
 * `cat` and `df`: busybox or coreutils). Throws when the helper cannot run or says nothing usable.
 */
export async function readHostFigures(engine: DockerEngine, project: string, image: string): Promise<HostFigures> {
  const info = await engineInfo(engine);
  const r = await engine.runOnce(
    {
      name: `${project}-slipway-metrics-${randomBytes(3).toString('hex')}`,
      image,
      entrypoint: [],
      cmd: ['sh', '-c', SCRIPT],
      env: {},
      labels: { [LABELS.project]: project, [LABELS.role]: 'probe' },
      networks: [{ name: 'none', aliases: [] }],
      mounts: [],
      binds: [{ source: info.dockerRoot, target: MOUNT, readOnly: true }],
      memory: 32 * 1024 * 1024,
      restart: 'no',
      stopTimeoutS: 1,
    },
    { timeoutMs: HELPER_TIMEOUT_MS },
  );
  if (r.timedOut) throw new Error(`the metrics helper (${image}) gave no answer within ${HELPER_TIMEOUT_MS / 1000} s`);
  const p = parseHostReadings(r.logs);
  const memTotal = info.memTotal || p.memTotal;
  if (!memTotal || p.memAvailable === undefined || p.load1 === undefined || p.diskTotal === undefined || p.diskUsed === undefined)
    throw new Error(`the metrics helper (${image}) exited ${r.exitCode} without the readings (it needs sh, cat and df)`);
  return {
    memoryTotalBytes: memTotal,
    memoryUsedBytes: Math.max(0, (p.memTotal ?? memTotal) - p.memAvailable),
    diskTotalBytes: p.diskTotal,
    diskUsedBytes: p.diskUsed,
    load1: p.load1,
    cpus: info.ncpu,
  };
}
