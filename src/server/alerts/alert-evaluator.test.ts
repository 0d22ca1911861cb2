// The alert evaluator with an injected clock: the memory table (85 % for 4 min → nothing, 5 min →
// firing once, still firing → no duplicate, drops → resolved once), then each default rule firing
// and resolving, a missing part leaving alerts alone, and rules laid over the defaults.
import { describe, expect, it } from 'vitest';
import type { ContainerSample, ServerSample } from '../metrics/metrics-source.ts';
import { type AlertTransition, createAlertEvaluator } from './alert-evaluator.ts';
import { alertRules, DEFAULT_ALERT_RULES } from './alert-rules.ts';
import type { Observation } from './observation.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const DAY = 86_400_000;
const GB = 1_000_000_000;

function setup(rules = DEFAULT_ALERT_RULES) {
  let t = T0;
  const ev = createAlertEvaluator({ rules, now: () => t });
  return {
    ev,
    at: (ms: number) => {
      t = T0 + ms;
    },
    step: (ms: number, obs: Observation) => {
      t = T0 + ms;
      return ev.evaluate(obs).map(brief);
    },
  };
}

const brief = (t: AlertTransition) => `${t.status} ${t.key}`;

const server = (memPercent: number, diskPercent = 50): ServerSample => ({
  server: 'vps1',
  memoryUsedBytes: memPercent * 0.04 * GB,
  memoryTotalBytes: 4 * GB,
  diskUsedBytes: diskPercent * GB,
  diskTotalBytes: 100 * GB,
  load1: 0.2,
});

const container = (over: Partial<ContainerSample> = {}): ContainerSample => ({
  server: 'vps1',
  project: 'shop',
  env: 'prod',
  app: 'api',
  process: 'web',
  container: 'shop-api-prod-web-r7',
  cpuSeconds: 1,
  memoryBytes: 1,
  restarts: 0,
  health: 'healthy',
  ...over,
});

describe('server memory above 80 % for 5 min', () => {
  it.each([
    {
      name: '85 % for 4 min: nothing',
      samples: [85, 85, 85, 85, 85],
      expected: [[], [], [], [], []],
    },
    {
      name: '85 % for 5 min: firing once, at the fifth minute',
      samples: [85, 85, 85, 85, 85, 85],
      expected: [[], [], [], [], [], ['firing server-memory:vps1']],
    },
    {
      name: 'stays at 90 %: no duplicate',
      samples: [85, 85, 85, 85, 85, 85, 90, 95, 90],
      expected: [[], [], [], [], [], ['firing server-memory:vps1'], [], [], []],
    },
    {
      name: 'drops: resolved once',
      samples: [85, 85, 85, 85, 85, 85, 60, 60, 60],
      expected: [[], [], [], [], [], ['firing server-memory:vps1'], ['resolved server-memory:vps1'], [], []],
    },
    {
      name: 'a dip under 80 % starts the 5 minutes over',
      samples: [85, 85, 85, 79, 85, 85, 85, 85, 85, 85],
      expected: [[], [], [], [], [], [], [], [], [], ['firing server-memory:vps1']],
    },
    {
      name: 'exactly 80 % is not above it',
      samples: [80, 80, 80, 80, 80, 80, 80],
      expected: [[], [], [], [], [], [], []],
    },
    {
      name: 'fires again after it resolved and came back for 5 min',
      samples: [85, 85, 85, 85, 85, 85, 50, 90, 90, 90, 90, 90, 90],
      expected: [[], [], [], [], [], ['firing server-memory:vps1'], ['resolved server-memory:vps1'], [], [], [], [], [], ['firing server-memory:vps1']],
    },
  ])('$name', ({ samples, expected }) => {
    const { step } = setup();
    // One observation a minute, from minute 0.
    expect(samples.map((p, i) => step(i * MIN, { servers: [server(p)] }))).toEqual(expected);
  });

  it('says what fired and what resolved, with the figures and the times', () => {
    const { ev, at } = setup();
    for (let i = 0; i <= 5; i++) {
      at(i * MIN);
      ev.evaluate({ servers: [server(85)] });
    }
    expect(ev.firing()).toEqual([
      {
        status: 'firing',
        key: 'server-memory:vps1',
        rule: 'server-memory',
        severity: 'warning',
        labels: { server: 'vps1' },
        title: 'memory above 80 % on vps1',
        detail: '85 % used (3.17GiB of 3.73GiB)',
        since: T0,
        at: T0 + 5 * MIN,
      },
    ]);
    at(12 * MIN);
    const [resolved, ...rest] = ev.evaluate({ servers: [server(40)] });
    expect(rest).toEqual([]);
    expect(resolved).toMatchObject({ status: 'resolved', key: 'server-memory:vps1', title: 'memory above 80 % on vps1', since: T0, at: T0 + 12 * MIN });
    expect(ev.firing()).toEqual([]);
  });

  it('with 2-minute observations fires at the first one 5 min after the start', () => {
    const { step } = setup();
    expect([0, 2, 4, 6].map((m) => step(m * MIN, { servers: [server(81)] }))).toEqual([[], [], [], ['firing server-memory:vps1']]);
  });
});

describe('each default rule', () => {
  it('disk above 85 % fires at once and resolves when it drops', () => {
    const { step } = setup();
    expect(step(0, { servers: [server(50, 85)] })).toEqual([]);
    expect(step(MIN, { servers: [server(50, 86)] })).toEqual(['firing server-disk:vps1']);
    expect(step(2 * MIN, { servers: [server(50, 90)] })).toEqual([]);
    expect(step(3 * MIN, { servers: [server(50, 70)] })).toEqual(['resolved server-disk:vps1']);
  });

  it('a container whose restarts increased fires, and resolves 10 min after its last restart', () => {
    const { step } = setup();
    const key = 'container-restarting:vps1/shop-api-prod-web-r7';
    expect(step(0, { containers: [container({ restarts: 2 })] })).toEqual([]); // first sight: no increase known
    expect(step(MIN, { containers: [container({ restarts: 2 })] })).toEqual([]);
    expect(step(2 * MIN, { containers: [container({ restarts: 3 })] })).toEqual([`firing ${key}`]);
    expect(step(3 * MIN, { containers: [container({ restarts: 3 })] })).toEqual([]);
    expect(step(6 * MIN, { containers: [container({ restarts: 4 })] })).toEqual([]); // still firing: no duplicate
    expect(step(15 * MIN, { containers: [container({ restarts: 4 })] })).toEqual([]);
    expect(step(16 * MIN, { containers: [container({ restarts: 4 })] })).toEqual([`resolved ${key}`]);
  });

  it('an unhealthy container fires at once; healthy again resolves; starting is not unhealthy', () => {
    const { step } = setup();
    const key = 'container-unhealthy:vps1/shop-api-prod-web-r7';
    expect(step(0, { containers: [container({ health: 'starting' })] })).toEqual([]);
    expect(step(MIN, { containers: [container({ health: 'unhealthy' })] })).toEqual([`firing ${key}`]);
    expect(step(2 * MIN, { containers: [container({ health: 'unhealthy' })] })).toEqual([]);
    expect(step(3 * MIN, { containers: [container({ health: 'healthy' })] })).toEqual([`resolved ${key}`]);
  });

  it('an unhealthy container that is replaced by a new release resolves', () => {
    const { step } = setup();
    expect(step(0, { containers: [container({ health: 'unhealthy' })] })).toEqual(['firing container-unhealthy:vps1/shop-api-prod-web-r7']);
    expect(step(MIN, { containers: [container({ container: 'shop-api-prod-web-r8' })] })).toEqual(['resolved container-unhealthy:vps1/shop-api-prod-web-r7']);
  });

  it('the last good backup older than the RPO of its env fires; envs without an RPO are not checked', () => {
    const { step } = setup(alertRules({ backupStale: { rpoMs: { prod: 60 * MIN } } }));
    const backups = (prodAgo: number | undefined) => [
      { env: 'prod', ...(prodAgo === undefined ? {} : { lastGoodAt: T0 - prodAgo }) },
      { env: 'staging', lastGoodAt: T0 - 30 * DAY },
    ];
    expect(step(0, { backups: backups(59 * MIN) })).toEqual([]);
    expect(step(2 * MIN, { backups: backups(59 * MIN) })).toEqual(['firing backup-stale:prod']);
    expect(step(3 * MIN, { backups: backups(0) })).toEqual(['resolved backup-stale:prod']);
  });

  it('an env with an RPO and no good backup at all fires, with defaultRpoMs covering every env', () => {
    const { ev, at } = setup(alertRules({ backupStale: { defaultRpoMs: DAY } }));
    at(0);
    expect(ev.evaluate({ backups: [{ env: 'dev' }, { env: 'prod', lastGoodAt: T0 - MIN }] })).toMatchObject([
      {
        status: 'firing',
        key: 'backup-stale:dev',
        detail: 'there is no good backup at all',
        title: 'the last good backup of dev is older than its RPO of 24 h',
      },
    ]);
  });

  it('a failed drill fires; a passing drill resolves; no drill yet is quiet', () => {
    const { step } = setup();
    expect(step(0, { backups: [{ env: 'prod' }] })).toEqual([]);
    expect(step(MIN, { backups: [{ env: 'prod', lastVerifyAt: T0, lastVerifyOk: false }] })).toEqual(['firing drill-failed:prod']);
    expect(step(2 * MIN, { backups: [{ env: 'prod', lastVerifyAt: T0, lastVerifyOk: false }] })).toEqual([]);
    expect(step(3 * MIN, { backups: [{ env: 'prod', lastVerifyAt: T0 + 3 * MIN, lastVerifyOk: true }] })).toEqual(['resolved drill-failed:prod']);
  });

  it('a certificate expiring within 14 days fires; a renewed one resolves', () => {
    const { step } = setup();
    expect(step(0, { certificates: [{ server: 'vps1', domain: 'shop.example.com', notAfter: T0 + 15 * DAY }] })).toEqual([]);
    expect(step(DAY, { certificates: [{ server: 'vps1', domain: 'shop.example.com', notAfter: T0 + 15 * DAY }] })).toEqual([]);
    expect(step(DAY + 1, { certificates: [{ server: 'vps1', domain: 'shop.example.com', notAfter: T0 + 15 * DAY }] })).toEqual([
      'firing certificate-expiry:vps1/shop.example.com',
    ]);
    expect(step(2 * DAY, { certificates: [{ server: 'vps1', domain: 'shop.example.com', notAfter: T0 + 92 * DAY }] })).toEqual([
      'resolved certificate-expiry:vps1/shop.example.com',
    ]);
  });
});

describe('evaluation', () => {
  it('leaves the alerts of a part that was not read alone, and resolves them once it is read again', () => {
    const { step } = setup();
    expect(step(0, { servers: [server(50, 90)], containers: [container({ health: 'unhealthy' })] })).toEqual([
      'firing server-disk:vps1',
      'firing container-unhealthy:vps1/shop-api-prod-web-r7',
    ]);
    expect(step(MIN, { containers: [container()] })).toEqual(['resolved container-unhealthy:vps1/shop-api-prod-web-r7']);
    expect(step(2 * MIN, {})).toEqual([]);
    expect(step(3 * MIN, { servers: [] })).toEqual(['resolved server-disk:vps1']);
  });

  it("keeps a part's alerts of a server whose part alone was not read, and resolves them once it is read again", () => {
    const { step } = setup();
    const cert = { server: 'vps1', domain: 'shop.example.com', notAfter: T0 + 3 * DAY };
    expect(step(0, { certificates: [cert] })).toEqual(['firing certificate-expiry:vps1/shop.example.com']);
    expect(step(MIN, { certificates: [], unread: { certificates: { servers: ['vps1'] } } })).toEqual([]);
    expect(step(2 * MIN, { certificates: [], unread: { certificates: { servers: ['vps2'] } } })).toEqual(['resolved certificate-expiry:vps1/shop.example.com']);
  });

  it('rules from the fleet file replace the defaults field by field, and a disabled rule resolves', () => {
    const rules = alertRules({ serverMemory: { abovePercent: 90 }, serverDisk: { forMs: 2 * MIN } });
    expect(rules.serverMemory).toEqual({ enabled: true, abovePercent: 90, forMs: 5 * MIN });
    expect(rules.serverDisk).toEqual({ enabled: true, abovePercent: 85, forMs: 2 * MIN });
    const { ev, step } = setup(rules);
    expect(step(0, { servers: [server(95, 90)] })).toEqual([]);
    expect(step(2 * MIN, { servers: [server(95, 90)] })).toEqual(['firing server-disk:vps1']);
    ev.setRules(alertRules({ serverDisk: { enabled: false } }));
    expect(step(3 * MIN, { servers: [server(95, 90)] })).toEqual(['resolved server-disk:vps1']);
  });

  it('keeps the state of each key apart', () => {
    const { step } = setup();
    const two = (a: number, b: number) => ({ servers: [server(a), { ...server(b), server: 'vps2' }] });
    expect(step(0, two(85, 50))).toEqual([]);
    expect(step(3 * MIN, two(85, 85))).toEqual([]);
    expect(step(5 * MIN, two(85, 85))).toEqual(['firing server-memory:vps1']);
    expect(step(8 * MIN, two(50, 85))).toEqual(['firing server-memory:vps2', 'resolved server-memory:vps1']);
  });
});
