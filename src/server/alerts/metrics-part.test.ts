// The metrics part's alert loop against a fake fleet sample and a real HTTP webhook sink, with a
// fake clock: server memory above 80 % fires after 5 minutes of rounds (the rule with its
// default `for`), once; serve restarting (a new part over the same data directory) neither sends
// it again nor forgets it, and resolves it when memory drops; an unreachable server keeps its
// alert as it was; the fleet file's alert overrides and notifiers are read each round.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ControlPlaneConfig, defaultControlPlane } from '../../config/control-plane.ts';
import type { Fleet } from '../../config/fleet.ts';
import { Secret } from '../../util/secret.ts';
import type { FleetSample } from '../metrics/fleet-sampler.ts';
import { createMetricsPart } from '../parts/metrics-part.ts';
import type { ServePartInput } from '../serve-part.ts';
import { FileStore } from '../store/file-store.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const GiB = 1024 ** 3;

let http: Server;
let hookUrl: string;
let posts: { status: string; key: string; title: string }[] = [];
let dir: string;
let t = T0;
let memPercent = 50;
let reachable = true;
let controlPlane: ControlPlaneConfig;
const logged: string[] = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const b = JSON.parse(body);
      posts.push({ status: b.status, key: b.alert, title: b.title });
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-metrics-part-'));
  posts = [];
  t = T0;
  memPercent = 50;
  reachable = true;
  logged.length = 0;
  controlPlane = { ...defaultControlPlane(), notify: { webhooks: [{ name: 'ops', urlSecret: 'hook-url' }] } };
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sample = async (): Promise<FleetSample> =>
  reachable
    ? {
        at: t,
        servers: [{ name: 'vps1', ok: true, memory: { usedBytes: (memPercent / 100) * 4 * GiB, totalBytes: 4 * GiB } }],
        serverSamples: [
          {
            server: 'vps1',
            memoryUsedBytes: (memPercent / 100) * 4 * GiB,
            memoryTotalBytes: 4 * GiB,
            diskUsedBytes: 10 * GiB,
            diskTotalBytes: 100 * GiB,
            load1: 0.2,
          },
        ],
        containers: [],
        backups: [],
        deploys: [],
        unreachable: { servers: [], envs: [] },
      }
    : {
        at: t,
        servers: [{ name: 'vps1', ok: false, error: 'connect ECONNREFUSED' }],
        serverSamples: [],
        containers: [],
        backups: [],
        deploys: [],
        unreachable: { servers: ['vps1'], envs: ['prod'] },
      };

/** A part as serve builds one, over the same data directory each time (a restart makes a new one). */
function part() {
  const fleet = () => ({ project: 'shop', environments: [{ name: 'prod', server: 'vps1' }], controlPlane }) as unknown as Fleet;
  const input: ServePartInput = {
    data: dir,
    file: join(dir, 'slipway.yaml'),
    loadFleet: async () => fleet(),
    ops: {} as ServePartInput['ops'],
    store: new FileStore(dir),
    now: () => t,
    env: {},
    cwd: dir,
    log: { write: (text) => void logged.push(text) },
    url: () => undefined,
    dev: true,
    secret: async (name) => (name === 'hook-url' ? new Secret(hookUrl, 'webhook url') : undefined),
  };
  return createMetricsPart(input, { intervalMs: 3_600_000, sample });
}

/** Starts the part (its first round runs), then runs a round per minute from `from` to `to`. */
async function minutes(p: ReturnType<typeof part>, from: number, to: number) {
  for (let m = from; m <= to; m++) {
    t = T0 + m * MIN;
    await p.round();
  }
}

describe('the metrics part: alert loop', () => {
  it('fires server memory above 80 % after 5 min once, keeps it over a restart without sending it again, then resolves it once', async () => {
    memPercent = 85;
    const first = part();
    await minutes(first, 0, 4);
    expect(posts).toEqual([]);
    await minutes(first, 5, 6);
    expect(posts).toEqual([{ status: 'firing', key: 'server-memory:vps1', title: 'memory above 80 % on vps1' }]);

    // serve restarts: the new part restores the state saved in the data directory.
    const second = part();
    const stop = await second.start!();
    await stop();
    await minutes(second, 7, 9);
    expect(posts.map((x) => x.status)).toEqual(['firing']);

    memPercent = 40;
    await minutes(second, 10, 12);
    expect(posts.map((x) => x.status)).toEqual(['firing', 'resolved']);
    expect(logged.join('')).toContain('alerts: RESOLVED: memory above 80 % on vps1 (after 10 min)');
  });

  it('keeps a firing alert while its server cannot be reached, and resolves it once it is read again below the threshold', async () => {
    memPercent = 90;
    const p = part();
    await minutes(p, 0, 5);
    expect(posts.map((x) => x.status)).toEqual(['firing']);
    reachable = false;
    await minutes(p, 6, 8);
    expect(posts.map((x) => x.status)).toEqual(['firing']);
    reachable = true;
    memPercent = 30;
    await minutes(p, 9, 9);
    expect(posts.map((x) => x.status)).toEqual(['firing', 'resolved']);
  });

  it("reads the fleet file's overrides each round: a lower threshold and a shorter `for` fire sooner; a disabled rule resolves", async () => {
    memPercent = 75;
    const p = part();
    await minutes(p, 0, 10);
    expect(posts).toEqual([]);
    controlPlane.alerts = { serverMemory: { abovePercent: 70, forMs: MIN } };
    await minutes(p, 11, 12);
    expect(posts).toEqual([{ status: 'firing', key: 'server-memory:vps1', title: 'memory above 70 % on vps1' }]);
    controlPlane.alerts = { serverMemory: { enabled: false } };
    await minutes(p, 13, 13);
    expect(posts.map((x) => x.status)).toEqual(['firing', 'resolved']);
  });

  it('retries a notifier whose secret is missing on the next round, and says why without a secret', async () => {
    controlPlane.notify = { webhooks: [{ name: 'ops', urlSecret: 'not-set' }] };
    memPercent = 95;
    const p = part();
    await minutes(p, 0, 5);
    expect(posts).toEqual([]);
    expect(logged.join('')).toContain(
      'webhook ops could not send firing server-memory:vps1 (attempt 1, retried next round): webhook ops: the secret not-set is not set',
    );
    controlPlane.notify = { webhooks: [{ name: 'ops', urlSecret: 'hook-url' }] };
    await minutes(p, 6, 6);
    expect(posts.map((x) => x.status)).toEqual(['firing']);
    expect(logged.join('')).not.toContain(hookUrl);
  });
});
