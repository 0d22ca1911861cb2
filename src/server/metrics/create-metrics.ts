// The control plane's Prometheus metrics: a registry of its own (never prom-client's global one)
// whose container, server and backup series are sampled from a MetricsSource at scrape time,
// plus deploy counts and durations recorded as deploys finish. One scrape samples the source
// once; a part of the source that fails leaves its series out and sets
// slipway_metrics_source_up{part} to 0, so the rest of the scrape still answers. Deploys the
// source reports (from the servers' audit logs, each with an id) are counted once per id, before
// the deploy series are written; slipway_server_up says which servers could be reached, and
// slipway_certificate_expiry_seconds when each server's certificate for a domain expires.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackupSample, CertificateSample, ContainerSample, DeployEvent, MetricsSource, ServerSample } from './metrics-source.ts';

export interface MetricsOptions {
  source: MetricsSource;
  /** Epoch milliseconds; backup ages are measured against it. */
  now: () => number;
  /** Deploy duration buckets in seconds. */
  deployBuckets?: number[];
}

export interface Metrics {
  registry: Registry;
  recordDeploy(event: DeployEvent): void;
}

const CONTAINER_LABELS = ['server', 'project', 'env', 'app', 'process', 'container'] as const;
const DEFAULT_DEPLOY_BUCKETS = [5, 10, 20, 30, 60, 120, 300, 600, 1200];

interface Sample {
  containers?: ContainerSample[];
  servers?: ServerSample[];
  backups?: BackupSample[];
  deploys?: (DeployEvent & { id: string })[];
  up?: { server: string; up: boolean }[];
  certificates?: CertificateSample[];
}

/** One sample of the source per scrape: every collect of one scrape shares the in-flight promise. */
function sharedSampler(source: MetricsSource): () => Promise<Sample> {
  let inflight: Promise<Sample> | undefined;
  const settle = <T>(p: Promise<T>): Promise<T | undefined> =>
    p.then(
      (v) => v,
      () => undefined,
    );
  return () => {
    const optional = <T>(fn: (() => Promise<T>) | undefined) => (fn ? settle(fn.call(source)) : Promise.resolve(undefined));
    inflight ??= Promise.all([
      settle(source.containers()),
      settle(source.servers()),
      settle(source.backups()),
      optional(source.deploys),
      optional(source.serversUp),
      optional(source.certificates),
    ])
      .then(([containers, servers, backups, deploys, up, certificates]) => ({ containers, servers, backups, deploys, up, certificates }))
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}

const containerLabels = (c: ContainerSample) => ({
  server: c.server,
  project: c.project,
  env: c.env,
  app: c.app,
  process: c.process,
  container: c.container,
});

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  const sample = sharedSampler(opts.source);
  const registers = [registry];

  /** A gauge (or counter) whose values are all replaced from each scrape's sample. */
  const sampled = <L extends string>(
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (s: Sample, set: (labels: Record<L, string>, value: number) => void) => void,
  ): void => {
    const metric: Gauge<L> | Counter<L> =
      kind === 'gauge'
        ? new Gauge<L>({ name, help, labelNames, registers, collect: () => refresh() })
        : new Counter<L>({ name, help, labelNames, registers, collect: () => refresh() });
    const refresh = async () => {
      const s = await sample();
      metric.reset();
      fill(s, (labels, value) => {
        if (!Number.isFinite(value)) return;
        if (metric instanceof Gauge) metric.set(labels as never, value);
        else if (value >= 0) metric.inc(labels as never, value);
      });
    };
  };

  sampled('gauge', 'slipway_metrics_source_up', 'Whether the last scrape could read this part of the fleet (1) or not (0).', ['part'], (s, set) => {
    set({ part: 'containers' }, s.containers ? 1 : 0);
    set({ part: 'servers' }, s.servers ? 1 : 0);
    set({ part: 'backups' }, s.backups ? 1 : 0);
    if (opts.source.certificates) set({ part: 'certificates' }, s.certificates ? 1 : 0);
  });

  const perContainer = (kind: 'gauge' | 'counter', name: string, help: string, value: (c: ContainerSample) => number | undefined) =>
    sampled(kind, name, help, CONTAINER_LABELS, (s, set) => {
      for (const c of s.containers ?? []) {
        const v = value(c);
        if (v !== undefined) set(containerLabels(c), v);
      }
    });
  perContainer('counter', 'slipway_container_cpu_seconds_total', 'CPU time the container used since it started, in seconds.', (c) => c.cpuSeconds);
  perContainer('gauge', 'slipway_container_memory_bytes', 'Memory the container uses, in bytes.', (c) => c.memoryBytes);
  perContainer('gauge', 'slipway_container_memory_limit_bytes', 'Memory limit of the container, in bytes (absent when it has none).', (c) =>
    c.memoryLimitBytes ? c.memoryLimitBytes : undefined,
  );
  perContainer('counter', 'slipway_container_restarts_total', "Docker's restart count for the container.", (c) => c.restarts);
  perContainer('gauge', 'slipway_container_healthy', 'Whether the container is healthy (1) or not (0: unhealthy, starting or no health check).', (c) =>
    c.health === 'healthy' ? 1 : 0,
  );

  const perServer = (name: string, help: string, value: (s: ServerSample) => number) =>
    sampled('gauge', name, help, ['server'], (s, set) => {
      for (const srv of s.servers ?? []) set({ server: srv.server }, value(srv));
    });
  perServer('slipway_server_memory_used_bytes', 'Memory used on the server, in bytes.', (s) => s.memoryUsedBytes);
  perServer('slipway_server_memory_total_bytes', 'Memory of the server, in bytes.', (s) => s.memoryTotalBytes);
  perServer('slipway_server_disk_used_bytes', 'Used bytes of the file system that holds the Docker root.', (s) => s.diskUsedBytes);
  perServer('slipway_server_disk_total_bytes', 'Size of the file system that holds the Docker root, in bytes.', (s) => s.diskTotalBytes);
  perServer('slipway_server_load1', 'One-minute load average of the server.', (s) => s.load1);
  perServer('slipway_server_cpus', 'CPUs of the server, as its engine reports them.', (s) => s.cpus ?? Number.NaN);
  if (opts.source.serversUp)
    sampled('gauge', 'slipway_server_up', 'Whether the server could be reached at the last scrape (1) or not (0).', ['server'], (s, set) => {
      for (const u of s.up ?? []) set({ server: u.server }, u.up ? 1 : 0);
    });

  const age = (at: number | undefined) => (at === undefined ? undefined : Math.max(0, (opts.now() - at) / 1000));
  const perEnv = (name: string, help: string, value: (b: BackupSample) => number | undefined) =>
    sampled('gauge', name, help, ['env'], (s, set) => {
      for (const b of s.backups ?? []) {
        const v = value(b);
        if (v !== undefined) set({ env: b.env }, v);
      }
    });
  perEnv('slipway_backup_last_good_age_seconds', 'Seconds since the last good backup of the environment finished (absent when there is none).', (b) =>
    age(b.lastGoodAt),
  );
  perEnv('slipway_backup_last_verify_age_seconds', 'Seconds since the last restore drill of the environment finished (absent when none ran).', (b) =>
    age(b.lastVerifyAt),
  );
  perEnv('slipway_backup_last_verify_success', 'Whether the last restore drill of the environment passed (1) or failed (0).', (b) =>
    b.lastVerifyAt === undefined || b.lastVerifyOk === undefined ? undefined : b.lastVerifyOk ? 1 : 0,
  );

  if (opts.source.certificates)
    sampled(
      'gauge',
      'slipway_certificate_expiry_seconds',
      "When the certificate a server's proxy serves for the domain expires, as a Unix time in seconds.",
      ['server', 'domain'],
      (s, set) => {
        for (const c of s.certificates ?? []) set({ server: c.server, domain: c.domain }, c.notAfter / 1000);
      },
    );

  const deployLabels = ['env', 'app', 'outcome'] as const;
  const counted = new Set<string>();
  // The source's deploys are counted before the deploy series are written (once per id).
  const ingest = opts.source.deploys
    ? async () => {
        for (const d of (await sample()).deploys ?? []) {
          if (counted.has(d.id)) continue;
          counted.add(d.id);
          recordDeploy(d);
        }
      }
    : undefined;
  const deploys = new Counter({
    name: 'slipway_deploys_total',
    help: 'Deploys that finished, by outcome.',
    labelNames: deployLabels,
    registers,
    ...(ingest ? { collect: ingest } : {}),
  });
  const durations = new Histogram({
    name: 'slipway_deploy_duration_seconds',
    help: 'How long deploys took, in seconds, by outcome.',
    labelNames: deployLabels,
    buckets: opts.deployBuckets ?? DEFAULT_DEPLOY_BUCKETS,
    registers,
    ...(ingest ? { collect: ingest } : {}),
  });
  const recordDeploy = (e: DeployEvent) => {
    const labels = { env: e.env, app: e.app, outcome: e.outcome };
    deploys.inc(labels);
    if (Number.isFinite(e.durationSeconds) && e.durationSeconds >= 0) durations.observe(labels, e.durationSeconds);
  };

  return { registry, recordDeploy };
}
