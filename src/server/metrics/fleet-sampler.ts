// The real MetricsSource: one sample of the whole fleet over its engines. A sample opens a fleet
// session on every server (partial: a server that cannot be reached is recorded as down, with
// its error, and the others are still read), and per server reads its containers
// (container-figures.ts), the machine's memory, disk and load (host-figures.ts), its
// environments' backup records (the same reading as `slipway status`) and the deploys and
// rollbacks of its audit log (with their outcome and duration). Concurrent callers share one
// sample in flight, and a sample is reused for `maxAgeMs`, so a scrape (three parts) and the
// alert loop do not each open sessions. The audit log is read at most every `deploysEveryMs`.
// Each server's certificates (the `slipway certs` workflow, listCertificates, over the same
// session) are read at most every `certificatesEveryMs` (5 min: they change daily at most); a
// server whose certificates (or backups) cannot be read is named in `unread`, so that its alerts
// of that part keep their state instead of resolving.
import type { Fleet } from '../../config/fleet.ts';
import type { ServerConnection } from '../../engine/connection.ts';
import { LABELS } from '../../model/labels.ts';
import { readAudit } from '../../workflows/audit.ts';
import { openSession, type SessionIO } from '../../workflows/fleet-session.ts';
import type { ServerRun } from '../../workflows/server-run.ts';
import { envBackupStatus } from '../../workflows/status-backups.ts';
import type { CertRow } from '../../workflows/tls/cert-list.ts';
import { readContainerFigures } from './container-figures.ts';
import { type HostFigures, readHostFigures } from './host-figures.ts';
import type { BackupSample, CertificateSample, ContainerSample, DeployEvent, MetricsSource, ServerSample } from './metrics-source.ts';

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
  /** The certificates each reached server's proxy serves (one per server and domain). */
  certificates?: CertificateSample[];
  /** Servers reached whose backups or certificates could not be read this time. */
  unread?: { backups: string[]; certificates: string[] };
}

export interface FleetSamplerOptions {
  loadFleet: () => Promise<Fleet>;
  io: SessionIO;
  identity?: string;
  /** A sample younger than this is reused (default 2 s). */
  maxAgeMs?: number;
  /** How often each server's audit log is read for deploys (default 60 s). */
  deploysEveryMs?: number;
  /** How often each server's certificates are read (default 5 min). */
  certificatesEveryMs?: number;
  /** Reads one server's certificates; default: listCertificates, as `slipway certs` does. */
  readCertificates?: (run: ServerRun) => Promise<Pick<CertRow, 'server' | 'host' | 'notAfter'>[]>;
}

export interface FleetSampler extends MetricsSource {
  sample(): Promise<FleetSample>;
}

/** The image the host-figures helper runs: the proxy's when it runs, else any running container's of the project. */
function helperImage(containers: { image: string; labels: Record<string, string> }[]): string | undefined {
  const proxy = containers.find((c) => c.labels[LABELS.role] === 'proxy');
  return (proxy ?? containers[0])?.image;
}

/** One sample per server and domain: the latest expiry, when a domain is listed twice (Slipway's record and Caddy's own). */
function certificateSamples(rows: Pick<CertRow, 'server' | 'host' | 'notAfter'>[]): CertificateSample[] {
  const byKey = new Map<string, CertificateSample>();
  for (const r of rows) {
    const notAfter = Date.parse(r.notAfter);
    if (!Number.isFinite(notAfter)) continue;
    const key = `${r.server}/${r.host}`;
    const had = byKey.get(key);
    if (!had || notAfter > had.notAfter) byKey.set(key, { server: r.server, domain: r.host, notAfter });
  }
  return [...byKey.values()].sort((a, b) => a.server.localeCompare(b.server) || a.domain.localeCompare(b.domain));
}

const defaultReadCertificates = async (run: ServerRun) => (await import('../../workflows/tls/cert-list.ts')).listCertificates(run);

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

export function createFleetSampler(opts: FleetSamplerOptions): FleetSampler {
  const maxAgeMs = opts.maxAgeMs ?? 2000;
  const deploysEveryMs = opts.deploysEveryMs ?? 60_000;
  const deployCache = new Map<string, { at: number; deploys: RecordedDeploy[] }>();
  const certificatesEveryMs = opts.certificatesEveryMs ?? 5 * 60_000;
  const readCertificates = opts.readCertificates ?? defaultReadCertificates;
  const certCache = new Map<string, { at: number; certificates: CertificateSample[] }>();
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

  /** A server's certificates, read again once `certificatesEveryMs` passed (a failed read is tried again next sample). */
  const certificatesOf = async (run: ServerRun): Promise<CertificateSample[]> => {
    const server = run.conn.server.name;
    const now = opts.io.now();
    const cached = certCache.get(server);
    if (cached && now - cached.at < certificatesEveryMs) return cached.certificates;
    const certificates = certificateSamples((await readCertificates(run)).map((r) => ({ ...r, server })));
    certCache.set(server, { at: now, certificates });
    return certificates;
  };

  const take = async (): Promise<FleetSample> => {
    const fleet = await opts.loadFleet();
    const names = fleet.servers.map((s) => s.name);
    for (const server of certCache.keys()) if (!names.includes(server)) certCache.delete(server);
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
                undefined,
              )
            : [];
          const certificates = run ? await part('certificates', () => certificatesOf(run), undefined) : [];
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
          return { reading, sample, containers, backups: backups ?? [], backupsRead: backups !== undefined, certificates, deploys };
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
        certificates: perServer.flatMap((p) => p.certificates ?? []),
        unread: {
          backups: perServer.filter((p) => p.reading.ok && !p.backupsRead).map((p) => p.reading.name),
          certificates: perServer.filter((p) => p.reading.ok && !p.certificates).map((p) => p.reading.name),
        },
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
    certificates: async () => (await sample()).certificates ?? [],
  };
}
