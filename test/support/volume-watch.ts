// Watches the engine's event stream (GET /events, filtered by a project label) and tracks, for
// every named volume, which app containers run on it with write access: at each `start` the
// container's mounts are read (from its inspect at `create`, or at `start`), at each `die` it
// leaves. Whenever a start finds another container already running on one of its volumes, that
// is an overlap: two processes writing one data directory at once. volumeRuns asks the same of
// the containers' own start and finish times afterwards, should the stream have missed an event.
import type Docker from 'dockerode';
import { demuxer } from './container-exec.ts';

export interface VolumeOverlap {
  volume: string;
  /** Names of the containers running on it at that moment, the one just started last. */
  containers: string[];
  at: string;
}

export interface VolumeWatchReport {
  /** Container events received (create, start, die, destroy, …). */
  events: number;
  starts: number;
  dies: number;
  /** Per volume, the container names that started on it while watching, in order. */
  startsByVolume: Record<string, string[]>;
  overlaps: VolumeOverlap[];
  /** When each start and die happened (engine time), for containers with a data volume. */
  timeline: string[];
  /** The last log lines of each container with a data volume, read when it died (before it is removed). */
  logsAtDie: Record<string, string>;
}

export interface VolumeWatch {
  stop(): Promise<VolumeWatchReport>;
}

export interface RunInterval {
  name: string;
  started: string;
  /** Empty while it runs. */
  finished: string;
}

/**
 * The same question asked of the containers themselves, independently of the event stream: every
 * container of the project (running or stopped, as kept for rollback) that mounts `volume`
 * read-write, with the interval of its last run (State.StartedAt to State.FinishedAt); the pairs
 * of those intervals that overlap.
 */
export async function volumeRuns(docker: Docker, project: string, volume: string): Promise<{ runs: RunInterval[]; overlapping: string[] }> {
  const runs: RunInterval[] = [];
  for (const c of await docker.listContainers({ all: true, filters: { label: [`slipway.project=${project}`], volume: [volume] } })) {
    const info = (await docker.getContainer(c.Id).inspect()) as Json;
    if (!rwVolumes(info.Mounts).includes(volume) || info.State.StartedAt.startsWith('0001-')) continue;
    runs.push({ name: String(info.Name).replace(/^\//, ''), started: info.State.StartedAt, finished: info.State.Running ? '' : info.State.FinishedAt });
  }
  runs.sort((a, b) => a.started.localeCompare(b.started));
  const end = (r: RunInterval) => (r.finished ? Date.parse(r.finished) : Number.POSITIVE_INFINITY);
  const overlapping: string[] = [];
  for (let i = 0; i < runs.length; i++)
    for (let j = i + 1; j < runs.length; j++)
      if (Date.parse(runs[j]!.started) < end(runs[i]!))
        overlapping.push(`${runs[i]!.name} (${runs[i]!.started} – ${runs[i]!.finished || 'running'}) and ${runs[j]!.name} (from ${runs[j]!.started})`);
  return { runs, overlapping };
}

interface Mounted {
  name: string;
  volumes: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: the Engine API's inspect JSON, read field by field
type Json = Record<string, any>;

/** The named volumes a container mounts read-write. */
function rwVolumes(mounts: Json[] | undefined): string[] {
  return (mounts ?? []).filter((m) => m.Type === 'volume' && m.RW !== false && m.Name).map((m) => m.Name as string);
}

/**
 * Starts watching the project's app containers (label slipway.role=app). The containers already
 * running are read first, so an overlap with one of them counts too.
 */
export async function watchVolumes(docker: Docker, project: string): Promise<VolumeWatch> {
  const labels = [`slipway.project=${project}`, 'slipway.role=app'];
  const since = Math.floor(Date.now() / 1000) - 1;
  // Only the actions tracked: fewer events for the daemon to hold for a busy reader (it drops
  // events a subscriber does not take in time).
  const stream = (await docker.getEvents({
    since,
    filters: { type: ['container'], event: ['create', 'start', 'die'], label: labels },
  })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  const report: VolumeWatchReport = { events: 0, starts: 0, dies: 0, startsByVolume: {}, overlaps: [], timeline: [], logsAtDie: {} };
  const pendingLogs: Promise<unknown>[] = [];
  const known = new Map<string, Mounted>();
  /** volume → ids of the containers running on it. */
  const running = new Map<string, Set<string>>();

  const mountedOf = async (id: string): Promise<Mounted | undefined> => {
    const cached = known.get(id);
    if (cached) return cached;
    const info = (await docker
      .getContainer(id)
      .inspect()
      .catch(() => undefined)) as Json | undefined;
    if (!info) return undefined;
    const m = { name: String(info.Name).replace(/^\//, ''), volumes: rwVolumes(info.Mounts) };
    known.set(id, m);
    return m;
  };
  const start = (id: string, m: Mounted, at: string) => {
    for (const v of m.volumes) {
      const set = running.get(v) ?? new Set<string>();
      set.add(id);
      running.set(v, set);
      if (set.size > 1) report.overlaps.push({ volume: v, containers: [...set].map((c) => known.get(c)?.name ?? c), at });
    }
  };

  for (const c of await docker.listContainers({ filters: { label: labels, status: ['running'] } })) {
    const m = await mountedOf(c.Id);
    if (m) start(c.Id, m, 'before watching');
  }

  // Events are handled one after the other, in the engine's order.
  let chain = Promise.resolve();
  let partial = '';
  const handle = async (e: Json) => {
    report.events++;
    const id = e.id ?? e.Actor?.ID;
    if (!id) return;
    const at = new Date(Math.floor(Number(e.timeNano ?? 0) / 1e6)).toISOString();
    if (e.Action === 'create') await mountedOf(id);
    else if (e.Action === 'start') {
      report.starts++;
      const m = await mountedOf(id);
      if (!m) return;
      for (const v of m.volumes) (report.startsByVolume[v] ??= []).push(m.name);
      if (m.volumes.length > 0) report.timeline.push(`${at} start ${m.name} on ${m.volumes.join(', ')}`);
      start(id, m, at);
    } else if (e.Action === 'die') {
      report.dies++;
      for (const set of running.values()) set.delete(id);
      const m = known.get(id);
      if (m && m.volumes.length > 0) {
        report.timeline.push(`${at} die ${m.name} (exit ${e.Actor?.Attributes?.exitCode ?? '?'})`);
        pendingLogs.push(
          docker
            .getContainer(id)
            .logs({ stdout: true, stderr: true, tail: 30, timestamps: true })
            .then((raw) => {
              let text = '';
              demuxer((_s, d) => (text += d.toString('utf8')))(raw as unknown as Buffer);
              report.logsAtDie[m.name] = text;
            })
            .catch(() => undefined),
        );
      }
    }
  };
  stream.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as Json;
      chain = chain.then(() => handle(e));
    }
  });

  return {
    async stop() {
      // Let the engine deliver what happened up to now, then stop reading.
      await new Promise((r) => setTimeout(r, 1000));
      stream.destroy();
      await chain;
      await Promise.all(pendingLogs);
      return report;
    },
  };
}
