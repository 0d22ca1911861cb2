// The metrics registry against a fake MetricsSource: the exact series with the fake's values, one
// source sample per scrape, a failing part leaves only its series out, deploys are counted and
// timed, the text parses as Prometheus exposition, and nothing lands in the global registry.
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './create-metrics.ts';
import type { BackupSample, ContainerSample, MetricsSource, ServerSample } from './metrics-source.ts';

const NOW = 1_700_000_000_000;

const CONTAINERS: ContainerSample[] = [
  {
    server: 'vps1',
    project: 'shop',
    env: 'prod',
    app: 'api',
    process: 'web',
    container: 'shop-api-prod-web-r7',
    cpuSeconds: 12.5,
    memoryBytes: 200_000_000,
    memoryLimitBytes: 512_000_000,
    restarts: 3,
    health: 'healthy',
  },
  {
    server: 'vps1',
    project: 'shop',
    env: 'staging',
    app: 'api',
    process: 'worker',
    container: 'shop-api-staging-worker-r2',
    cpuSeconds: 1,
    memoryBytes: 50_000_000,
    restarts: 0,
    health: 'unhealthy',
  },
];
const SERVERS: ServerSample[] = [
  { server: 'vps1', memoryUsedBytes: 3_000_000_000, memoryTotalBytes: 4_000_000_000, diskUsedBytes: 70e9, diskTotalBytes: 100e9, load1: 0.75 },
];
const BACKUPS: BackupSample[] = [{ env: 'prod', lastGoodAt: NOW - 3_600_000, lastVerifyAt: NOW - 86_400_000, lastVerifyOk: false }, { env: 'staging' }];

type Part = 'containers' | 'servers' | 'backups';

function fakeSource(fail: Partial<Record<Part, boolean>> = {}) {
  const calls = { containers: 0, servers: 0, backups: 0 };
  const answer = <T>(part: Part, data: T) => {
    calls[part]++;
    return fail[part] ? Promise.reject(new Error(`${part} unreachable`)) : Promise.resolve(structuredClone(data));
  };
  const source: MetricsSource = {
    containers: () => answer('containers', CONTAINERS),
    servers: () => answer('servers', SERVERS),
    backups: () => answer('backups', BACKUPS),
  };
  return { source, calls };
}

/** The sample lines of an exposition: `name{labels} value`, comments left out. */
function series(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('createMetrics', () => {
  it('exposes exactly the sampled container, server and backup series with the source values', async () => {
    const { source } = fakeSource();
    const { registry } = createMetrics({ source, now: () => NOW });
    const text = await registry.metrics();
    const prod = 'server="vps1",project="shop",env="prod",app="api",process="web",container="shop-api-prod-web-r7"';
    const staging = 'server="vps1",project="shop",env="staging",app="api",process="worker",container="shop-api-staging-worker-r2"';
    expect(series(text).sort()).toEqual(
      [
        'slipway_metrics_source_up{part="containers"} 1',
        'slipway_metrics_source_up{part="servers"} 1',
        'slipway_metrics_source_up{part="backups"} 1',
        `slipway_container_cpu_seconds_total{${prod}} 12.5`,
        `slipway_container_cpu_seconds_total{${staging}} 1`,
        `slipway_container_memory_bytes{${prod}} 200000000`,
        `slipway_container_memory_bytes{${staging}} 50000000`,
        `slipway_container_memory_limit_bytes{${prod}} 512000000`,
        `slipway_container_restarts_total{${prod}} 3`,
        `slipway_container_restarts_total{${staging}} 0`,
        `slipway_container_healthy{${prod}} 1`,
        `slipway_container_healthy{${staging}} 0`,
        'slipway_server_memory_used_bytes{server="vps1"} 3000000000',
        'slipway_server_memory_total_bytes{server="vps1"} 4000000000',
        'slipway_server_disk_used_bytes{server="vps1"} 70000000000',
        'slipway_server_disk_total_bytes{server="vps1"} 100000000000',
        'slipway_server_load1{server="vps1"} 0.75',
        'slipway_backup_last_good_age_seconds{env="prod"} 3600',
        'slipway_backup_last_verify_age_seconds{env="prod"} 86400',
        'slipway_backup_last_verify_success{env="prod"} 0',
      ].sort(),
    );
    expect(text).toContain('# TYPE slipway_container_cpu_seconds_total counter');
    expect(text).toContain('# TYPE slipway_container_memory_bytes gauge');
    expect(text).toContain('# TYPE slipway_deploy_duration_seconds histogram');
  });

  it('samples each part of the source once per scrape and follows its changes', async () => {
    const { source, calls } = fakeSource();
    let now = NOW;
    const { registry } = createMetrics({ source, now: () => now });
    await registry.metrics();
    expect(calls).toEqual({ containers: 1, servers: 1, backups: 1 });
    now += 60_000;
    const text = await registry.metrics();
    expect(calls).toEqual({ containers: 2, servers: 2, backups: 2 });
    expect(series(text)).toContain('slipway_backup_last_good_age_seconds{env="prod"} 3660');
  });

  it('drops series of a container that went away', async () => {
    let containers = CONTAINERS;
    const source: MetricsSource = { containers: async () => containers, servers: async () => [], backups: async () => [] };
    const { registry } = createMetrics({ source, now: () => NOW });
    expect(series(await registry.metrics()).filter((l) => l.includes('shop-api-staging-worker-r2'))).toHaveLength(4);
    containers = CONTAINERS.slice(0, 1);
    expect(series(await registry.metrics()).filter((l) => l.includes('shop-api-staging-worker-r2'))).toEqual([]);
  });

  it('keeps answering when a part of the source fails, and says which', async () => {
    const { source } = fakeSource({ servers: true });
    const { registry } = createMetrics({ source, now: () => NOW });
    const lines = series(await registry.metrics());
    expect(lines).toContain('slipway_metrics_source_up{part="servers"} 0');
    expect(lines).toContain('slipway_metrics_source_up{part="containers"} 1');
    expect(lines.filter((l) => l.startsWith('slipway_server_'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('slipway_container_memory_bytes'))).toHaveLength(2);
  });

  it('counts and times deploys by env, app and outcome', async () => {
    const { source } = fakeSource();
    const metrics = createMetrics({ source, now: () => NOW, deployBuckets: [10, 60] });
    metrics.recordDeploy({ env: 'prod', app: 'api', outcome: 'ok', durationSeconds: 42 });
    metrics.recordDeploy({ env: 'prod', app: 'api', outcome: 'ok', durationSeconds: 8 });
    metrics.recordDeploy({ env: 'staging', app: 'api', outcome: 'failed', durationSeconds: 90 });
    const lines = series(await metrics.registry.metrics()).filter((l) => l.startsWith('slipway_deploy'));
    expect(lines).toEqual([
      'slipway_deploys_total{env="prod",app="api",outcome="ok"} 2',
      'slipway_deploys_total{env="staging",app="api",outcome="failed"} 1',
      'slipway_deploy_duration_seconds_bucket{le="10",env="prod",app="api",outcome="ok"} 1',
      'slipway_deploy_duration_seconds_bucket{le="60",env="prod",app="api",outcome="ok"} 2',
      'slipway_deploy_duration_seconds_bucket{le="+Inf",env="prod",app="api",outcome="ok"} 2',
      'slipway_deploy_duration_seconds_sum{env="prod",app="api",outcome="ok"} 50',
      'slipway_deploy_duration_seconds_count{env="prod",app="api",outcome="ok"} 2',
      'slipway_deploy_duration_seconds_bucket{le="10",env="staging",app="api",outcome="failed"} 0',
      'slipway_deploy_duration_seconds_bucket{le="60",env="staging",app="api",outcome="failed"} 0',
      'slipway_deploy_duration_seconds_bucket{le="+Inf",env="staging",app="api",outcome="failed"} 1',
      'slipway_deploy_duration_seconds_sum{env="staging",app="api",outcome="failed"} 90',
      'slipway_deploy_duration_seconds_count{env="staging",app="api",outcome="failed"} 1',
    ]);
  });

  it('writes valid exposition text: HELP and TYPE once per family, each sample a name, labels and a number', async () => {
    const { source } = fakeSource();
    const metrics = createMetrics({ source, now: () => NOW });
    metrics.recordDeploy({ env: 'prod', app: 'api', outcome: 'ok', durationSeconds: 3 });
    const text = await metrics.registry.metrics();
    const families = new Map<string, string>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
      if (meta) {
        const key = `${meta[1]} ${meta[2]}`;
        expect(families.has(key), key).toBe(false);
        families.set(key, meta[3]!);
        if (meta[1] === 'TYPE') expect(['counter', 'gauge', 'histogram']).toContain(meta[3]);
        continue;
      }
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
      expect(sample, line).not.toBeNull();
      const family = sample![1]!.replace(/_(bucket|sum|count)$/, '');
      expect(families.has(`TYPE ${family}`) || families.has(`TYPE ${sample![1]}`), line).toBe(true);
    }
    expect(families.size).toBeGreaterThan(30);
  });

  it('leaves the global registry alone, and two instances do not collide', async () => {
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    const a = createMetrics({ source: fakeSource().source, now: () => NOW });
    const b = createMetrics({ source: fakeSource().source, now: () => NOW });
    expect(a.registry).not.toBe(b.registry);
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);
  });
});
