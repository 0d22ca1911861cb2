// The real MetricsSource: one sample of the whole fleet over its engines. A sample opens a fleet
// session on every server (partial: a server that cannot be reached is recorded as down, with
// its error, and the others are still read), and per server reads its containers
// (container-figures.ts), the machine's memory, disk and load (host-figures.ts), its
// environments' backup records (the same reading as `slipway status`) and the deploys and
// rollbacks of its audit log (with their outcome and duration). Concurrent callers share one
// sample in flight, and a sample is reused for `maxAgeMs`, so a scrape (three parts) and the
// alert loop do not each open sessions. The audit log is read at most every `deploysEveryMs`.
import type { Fleet } from '../../config/fleet.ts';
import type { ServerConnection } from '../../engine/connection.ts';
import { LABELS } from '../../model/labels.ts';
import { readAudit } from '../../workflows/audit.ts';
import { openSession, type SessionIO } from '../../workflows/fleet-session.ts';
import { envBackupStatus } from '../../workflows/status-backups.ts';
import { readContainerFigures } from './container-figures.ts';
import { type HostFigures, readHostFigures } from './host-figures.ts';
import type { BackupSample, ContainerSample, DeployEvent, MetricsSource, ServerSample } from './metrics-source.ts';

/** One server as GET /api/servers shows it. */
export interface ServerReading {
  name: string;
  /** Reached and read (its containers at least). */
  ok: boolean;
  /** Why it could not be reached, or which of its figures could not be read. */
  error?: string;
  memory?: { usedBytes: number; totalBytes: number };
  disk?: { usedBytes: number; totalBytes: number };
  load1?: number;
  cpus?: number;
}

/** A finished deploy or rollback from a server's audit log, with a stable id. */
export interface RecordedDeploy extends DeployEvent {
  id: string;
}

export interface FleetSample {
  at: number;
  servers: ServerReading[];
  /** The servers' figures for the metrics and alerts (servers reached whose figures were read). */
  serverSamples: ServerSample[];
  containers: ContainerSample[];
  backups: BackupSample[];
  deploys: RecordedDeploy[];
  /** Servers not reached, and the environments placed on them. */
  unreachable: { servers: string[]; envs: string[] };
}

export interface FleetSamplerOptions {
  loadFleet: () => Promise<Fleet>;
  io: SessionIO;
  identity?: string;
  /** A sample younger than this is reused (default 2 s). */
  maxAgeMs?: number;
  /** How often each server's audit log is read for deploys (default 60 s). */
  deploysEveryMs?: number;
}

export interface FleetSampler extends MetricsSource {
  sample(): Promise<FleetSample>;
}

/** The image the host-figures helper runs: the proxy's when it runs, else any running container's of the project. */
function helperImage(containers: { image: string; labels: Record<string, string> }[]): string | undefined {
  const proxy = containers.find((c) => c.labels[LABELS.role] === 'proxy');
  return (proxy ?? containers[0])?.image;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export function createFleetSampler(opts: FleetSamplerOptions): FleetSampler {
  const maxAgeMs = opts.maxAgeMs ?? 2000;
  const deploysEveryMs = opts.deploysEveryMs ?? 60_000;
  const deployCache = new Map<string, { at: number; deploys: RecordedDeploy[] }>();
  let last: FleetSample | undefined;
  let inflight: Promise<FleetSample> | undefined;

  const readDeploys = async (conn: ServerConnection, store: { server: string; read: () => ReturnType<typeof readAudit> }): Promise<RecordedDeploy[]> => {
    const now = opts.io.now();
    const cached = deployCache.get(store.server);
    if (cached && now - cached.at < deploysEveryMs) return cached.deploys;
    const deploys = (await store.read()).flatMap((e): RecordedDeploy[] => {
      if ((e.action !== 'deploy' && e.action !== 'rollback') || e.outcome === 'started' || !e.env || !e.app) return [];
      const outcome: DeployEvent['outcome'] = e.outcome === 'failed' ? 'failed' : e.action === 'rollback' ? 'rolled-back' : 'ok';
      return [
        {
          id: `${conn.server.name}|${e.at}|${e.action}|${e.env}|${e.app}`,
          env: e.env,
          app: e.app,
          outcome,
          durationSeconds: (e.durationMs ?? Number.NaN) / 1000,
        },
      ];
    });
    deployCache.set(store.server, { at: now, deploys });
    return deploys;
  };

  const take = async (): Promise<FleetSample> => {
    const fleet = await opts.loadFleet();
    const names = fleet.servers.map((s) => s.name);
    const session = await openSession(opts.io, fleet, names, { json: true, partial: true, ...(opts.identity ? { identity: opts.identity } : {}) });
    try {
      const perServer = await Promise.all(
        session.connections.map(async (conn) => {
          const name = conn.server.name;
          const run = session.runs.get(name);
          const problems: string[] = [];
          const part = async <T>(what: string, fn: () => Promise<T>, fallback: T): Promise<T> => {
            try {
              return await fn();
            } catch (e) {
              problems.push(`${what}: ${message(e)}`);
              return fallback;
            }
          };
          const listed = await part('containers', () => conn.engine.listContainers({ [LABELS.project]: fleet.project }, { all: false }), undefined);
          const containers = listed ? await part('containers', () => readContainerFigures(conn.engine, name, fleet.project), undefined) : undefined;
          const image = listed ? helperImage(listed) : undefined;
          const host: HostFigures | undefined = image
            ? await part('memory, disk and load', () => readHostFigures(conn.engine, fleet.project, image), undefined)
            : (problems.push('memory, disk and load: no running container of the fleet to read them with (run slipway up)'), undefined);
          const backups = run
            ? await part(
                'backups',
                async () =>
                  (await envBackupStatus(run))
                    .filter((b) => b.policy)
                    .map(
                      (b): BackupSample => ({
                        env: b.env,
                        ...(b.lastOk ? { lastGoodAt: Date.parse(b.lastOk.at) } : {}),
                        ...(b.lastVerification ? { lastVerifyAt: Date.parse(b.lastVerification.at), lastVerifyOk: b.lastVerification.result === 'ok' } : {}),
                      }),
                    ),
                [],
              )
            : [];
          const deploys = run ? await part('deploys', () => readDeploys(conn, { server: name, read: () => readAudit(run.store) }), []) : [];
          const reading: ServerReading = {
            name,
            ok: containers !== undefined,
            ...(problems.length ? { error: problems.join('; ') } : {}),
            ...(host
              ? {
                  memory: { usedBytes: host.memoryUsedBytes, totalBytes: host.memoryTotalBytes },
                  disk: { usedBytes: host.diskUsedBytes, totalBytes: host.diskTotalBytes },
                  load1: host.load1,
                  cpus: host.cpus,
                }
              : {}),
          };
          const sample: ServerSample | undefined = host ? { server: name, ...host } : undefined;
          return { reading, sample, containers, backups, deploys };
        }),
      );
      const down = session.failures.map((f) => f.server);
      const notRead = perServer.filter((p) => !p.reading.ok).map((p) => p.reading.name);
      const unreachableServers = [...down, ...notRead];
      const readings = new Map<string, ServerReading>(perServer.map((p) => [p.reading.name, p.reading]));
      for (const f of session.failures) readings.set(f.server, { name: f.server, ok: false, error: f.error });
      return {
        at: opts.io.now(),
        servers: names.map((n) => readings.get(n) ?? { name: n, ok: false, error: 'not sampled' }),
        serverSamples: perServer.flatMap((p) => (p.sample ? [p.sample] : [])),
        containers: perServer.flatMap((p) => p.containers ?? []),
        backups: perServer.flatMap((p) => p.backups),
        deploys: perServer.flatMap((p) => p.deploys),
        unreachable: { servers: unreachableServers, envs: fleet.environments.filter((e) => unreachableServers.includes(e.server)).map((e) => e.name) },
      };
    } finally {
      await session.close();
    }
  };

  const sample = (): Promise<FleetSample> => {
    if (last && opts.io.now() - last.at < maxAgeMs) return Promise.resolve(last);
    inflight ??= take()
      .then((s) => {
        last = s;
        return s;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };

  return {
    sample,
    containers: async () => (await sample()).containers,
    servers: async () => (await sample()).serverSamples,
    backups: async () => (await sample()).backups,
    deploys: async () => (await sample()).deploys,
    serversUp: async () => (await sample()).servers.map((s) => ({ server: s.name, up: s.ok })),
  };
}
