// The zero-downtime rollout against the recording FakeEngine, asserted on its transcript: new web
// containers start healthy off the edge network and join it (the switch) before the old ones stop
// (after the drain); a singleton's old container stops before its successor starts; a failed
// health check removes what it started and never makes it reachable; a deploy never reloads the
// proxy; an engine lost at a step boundary (as with a killed CLI) is recovered by reconcile without
// ever running two copies of a singleton or taking the live web out of reach.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import type { ServerConnection } from '../engine/connect.ts';
import type { Dialer } from '../engine/dialer.ts';
import { FakeEngine } from '../engine/fake-engine.ts';
import { desire } from '../plan/desire/desire.ts';
import { UnhealthyError } from './health.ts';
import { reconcile } from './reconcile.ts';
import { readHistory, type ReleaseRecord } from './releases.ts';
import { createReporter } from './reporter.ts';
import { rollout, type RolloutOptions } from './rollout.ts';
import { serverRun, type ServerRun } from './server-run.ts';
import { upServer } from './up.ts';

const FLEET = `project: acme
servers:
  local: { local: true, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  prod: { server: local, deploy: { tags: "v*" }, protected: true, domain: "{app}.localhost", tls: "off" }
  staging: { server: local, deploy: { branch: develop }, domain: "{app}-staging.localhost", tls: "off" }
apps:
  web:
    git: { repo: ., context: examples/apps/echo }
    release: ["node server.js migrate"]
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
      worker: { command: "node server.js worker", memory: 64MiB }
      beat: { command: "node server.js worker", singleton: true, memory: 64MiB }
`;

const R1 = '20250101000001';
const R2 = '20250101000002';
const R3 = '20250101000003';
const name = (process: string, release: string) => `acme-web-staging-${process}-0-${release}`;

/** A stream that answers any request with one HTTP status line. */
function answering(status: () => number): Duplex {
  return new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      this.push(`HTTP/1.1 ${status()} X\r\nContent-Length: 0\r\n\r\n`);
      cb();
    },
  });
}

interface World {
  fake: FakeEngine;
  run: ServerRun;
  health: { status: number };
  sleeps: number[];
  /** Checkpoints reached, each with the transcript length at that moment. */
  marks: { step: string; at: number }[];
  roll(release: string, opts?: Partial<RolloutOptions>): Promise<void>;
}

async function world(): Promise<World> {
  const loaded = loadFleet('/srv/acme/slipway.yaml', { text: FLEET });
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics));
  const fleet = loaded.fleet;
  const fake = new FakeEngine('local', { images: ['caddy:2'] });
  const health = { status: 200 };
  const dialer: Dialer = { dial: async () => answering(() => health.status) };
  let t = Date.UTC(2025, 0, 1);
  const sleeps: number[] = [];
  const now = () => t;
  const conn: ServerConnection = { server: fleet.servers[0]!, engine: fake, dialer, close: async () => {} };
  const run: ServerRun = {
    ...serverRun(fleet, desire(fleet), conn, createReporter(null, now), now),
    sleep: async (ms) => {
      sleeps.push(ms);
      t += ms;
    },
  };
  await upServer(run);
  const app = fleet.apps.find((a) => a.name === 'web')!;
  const marks: { step: string; at: number }[] = [];
  const roll = async (release: string, opts: Partial<RolloutOptions> = {}) => {
    if (!fake.images.has(`acme/web:staging-${release}`)) fake.addImage(`acme/web:staging-${release}`);
    const rec: ReleaseRecord = { release, image: `acme/web:staging-${release}`, deployedAt: new Date(t).toISOString(), deployedBy: 'test', status: 'live' };
    await rollout(run, app, 'staging', rec, { drainMs: 200, keep: 3, checkpoint: (step) => marks.push({ step, at: fake.transcript.length }), ...opts });
  };
  fake.clearTranscript();
  return { fake, run, health, sleeps, marks, roll };
}

const idOf = (fake: FakeEngine, n: string): string => {
  const c = fake.find(n);
  if (!c) throw new Error(`no container ${n}`);
  return c.id;
};

/** Index in the transcript of the first call of `op` whose first argument satisfies `arg`. */
function at(fake: FakeEngine, op: string, arg: (a: unknown) => boolean): number {
  const i = fake.transcript.findIndex((e) => e.op === op && arg(e.args[0]));
  if (i === -1) throw new Error(`no ${op} matching in transcript:\n${fake.transcript.map((e) => `${e.op} ${JSON.stringify(e.args[0])}`).join('\n')}`);
  return i;
}
const created = (fake: FakeEngine, n: string) => at(fake, 'createContainer', (a) => (a as { name: string }).name === n);
const startedAt = (fake: FakeEngine, id: string) => at(fake, 'startContainer', (a) => a === id);
const stoppedAt = (fake: FakeEngine, id: string) => at(fake, 'stopContainer', (a) => a === id);
const proxyReloads = (fake: FakeEngine) =>
  fake.transcript.flatMap((e, i) => (e.op === 'exec' && e.args[0] === 'acme-proxy' && (e.args[1] as string[])[0] === 'caddy' ? [i] : []));
const running = (fake: FakeEngine) =>
  [...fake.containers.values()]
    .filter((c) => c.spec.labels['slipway.role'] === 'app' && c.state === 'running')
    .map((c) => c.name)
    .sort();
const proxyConfig = (fake: FakeEngine) => fake.readFile('acme-proxy', '/etc/caddy/caddy.json') ?? '';
/**
 * Releases the proxy's route for web-staging can reach: running containers on the staging edge
 * network that answer to the alias its upstream dials.
 */
function reachableReleases(fake: FakeEngine): string[] {
  const dial = /"dial": "(web-staging-web[^":]*):8000"/.exec(proxyConfig(fake))?.[1];
  if (!dial) throw new Error(`no web-staging upstream in the proxy config:\n${proxyConfig(fake)}`);
  const on = [...fake.containers.values()].filter((c) => c.state === 'running' && (c.networks.get('acme-staging-edge') ?? []).includes(dial));
  return [...new Set(on.map((c) => c.spec.labels['slipway.release']!))].sort();
}

describe('rollout transcript (FakeEngine)', () => {
  it('first release: starts web, worker, then the singleton, each checked, then routes traffic to it and records it', async () => {
    const w = await world();
    await w.roll(R1);
    expect(running(w.fake)).toEqual([name('beat', R1), name('web', R1), name('worker', R1)]);
    const order = ['web', 'worker', 'beat'].map((p) => startedAt(w.fake, idOf(w.fake, name(p, R1))));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(reachableReleases(w.fake)).toEqual([R1]);
    expect(w.marks.map((m) => m.step)).toEqual(['started', 'switched', 'recorded', 'drained', 'stopped-old']);
    const h = await readHistory(w.run.store, 'web', 'staging');
    expect(h).toMatchObject({ current: R1, releases: [{ release: R1, status: 'live' }] });
    expect(w.sleeps).toContain(200); // the drain
  });

  it('next release: new web healthy before it joins the edge network, old web stopped only after the switch and drain, old singleton stopped before its successor starts', async () => {
    const w = await world();
    await w.roll(R1);
    const old = Object.fromEntries(['web', 'worker', 'beat'].map((p) => [p, idOf(w.fake, name(p, R1))]));
    w.fake.clearTranscript();
    w.marks.length = 0;
    await w.roll(R2);
    const f = w.fake;
    const neu = Object.fromEntries(['web', 'worker', 'beat'].map((p) => [p, idOf(f, name(p, R2))]));

    // The switch is the new web joining the staging edge network (where the proxy's alias
    // resolves); a deploy never reloads the proxy.
    expect(proxyReloads(f)).toEqual([]);
    const joins = f.transcript.flatMap((e, i) =>
      e.op === 'connectNetwork' && e.args[0] === 'acme-staging-edge' ? [{ i, id: e.args[1], aliases: e.args[2] }] : [],
    );
    expect(joins).toEqual([{ i: expect.any(Number), id: neu.web, aliases: ['web-staging-web', `web-staging-web-${R2}`] }]);
    const sw = joins[0]!.i;
    // New web: created off the edge network, started and probed healthy before it joins.
    const spec = f.calls('createContainer').find((a) => (a[0] as { name: string }).name === name('web', R2))![0] as { networks: { name: string }[] };
    expect(spec.networks.map((n) => n.name)).toEqual(['acme-staging']);
    expect(created(f, name('web', R2))).toBeLessThan(startedAt(f, neu.web!));
    expect(startedAt(f, neu.web!)).toBeLessThan(sw);
    expect(at(f, 'inspectContainer', (a) => a === neu.web)).toBeLessThan(sw);
    expect(startedAt(f, neu.worker!)).toBeLessThan(sw);
    // Old web and worker keep running through the switch and the drain; stopped after, and the
    // old web leaves the edge network only once stopped.
    expect(stoppedAt(f, old.web!)).toBeGreaterThan(sw);
    expect(stoppedAt(f, old.worker!)).toBeGreaterThan(sw);
    const mark = (s: string) => w.marks.find((m) => m.step === s)!.at;
    expect(stoppedAt(f, old.web!)).toBeGreaterThanOrEqual(mark('drained'));
    expect(at(f, 'disconnectNetwork', (a) => a === 'acme-staging-edge')).toBeGreaterThan(stoppedAt(f, old.web!));
    expect(f.calls('disconnectNetwork')).toEqual([['acme-staging-edge', old.web, { force: true }]]);
    // The singleton: old stopped before the new one is even created, so two never run at once.
    expect(stoppedAt(f, old.beat!)).toBeLessThan(created(f, name('beat', R2)));
    expect(created(f, name('beat', R2))).toBeLessThan(startedAt(f, neu.beat!));
    // Step boundaries fall where the fault injection expects them.
    expect(mark('started')).toBeGreaterThan(startedAt(f, neu.beat!));
    expect(mark('started')).toBeLessThanOrEqual(sw);
    expect(mark('switched')).toBeGreaterThan(sw);
    expect(mark('stopped-old')).toBeGreaterThan(stoppedAt(f, old.worker!));

    expect(running(f)).toEqual([name('beat', R2), name('web', R2), name('worker', R2)]);
    // Old containers are kept (stopped) for instant rollback.
    expect(f.find(name('web', R1))?.state).toBe('exited');
    expect(reachableReleases(f)).toEqual([R2]);
    const h = await readHistory(w.run.store, 'web', 'staging');
    expect(h.current).toBe(R2);
    expect(h.releases.map((r) => [r.release, r.status])).toEqual([
      [R2, 'live'],
      [R1, 'previous'],
    ]);
  });

  it('rolling back to a kept release starts its stopped containers again instead of creating new ones', async () => {
    const w = await world();
    await w.roll(R1);
    await w.roll(R2);
    const kept = ['web', 'worker', 'beat'].map((p) => idOf(w.fake, name(p, R1)));
    w.fake.clearTranscript();
    await w.roll(R1);
    expect(w.fake.calls('createContainer')).toEqual([]);
    for (const id of kept) expect(w.fake.find(id)?.state).toBe('running');
    expect(running(w.fake)).toEqual([name('beat', R1), name('web', R1), name('worker', R1)]);
  });

  it('keeps the containers of the last N releases and removes older ones with their image', async () => {
    const w = await world();
    await w.roll(R1);
    await w.roll(R2);
    await w.roll(R3, { keep: 2 });
    const names = [...w.fake.containers.values()].filter((c) => c.spec.labels['slipway.role'] === 'app').map((c) => c.name);
    expect(names.filter((n) => n.endsWith(R1))).toEqual([]);
    expect(names.filter((n) => n.endsWith(R2))).toHaveLength(3);
    expect(w.fake.images.has(`acme/web:staging-${R1}`)).toBe(false);
    expect(w.fake.images.has(`acme/web:staging-${R2}`)).toBe(true);
  });
});

describe('rollout failures leave the previous release serving', () => {
  it('a web container that fails its health check is removed; the proxy is never reloaded', async () => {
    const w = await world();
    await w.roll(R1);
    const configBefore = proxyConfig(w.fake);
    w.fake.clearTranscript();
    w.marks.length = 0;
    w.health.status = 503;
    const err = await w.roll(R2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnhealthyError);
    expect((err as Error).message).toMatch(/acme-web-staging-web-0 did not become healthy: GET \/health answered 503/);
    expect(proxyReloads(w.fake)).toEqual([]);
    expect(w.fake.ops('putArchive').length).toBe(0); // neither proxy config nor history written
    expect(w.marks).toEqual([]);
    expect(w.fake.find(name('web', R2))).toBeUndefined();
    expect(at(w.fake, 'removeContainer', () => true)).toBeGreaterThan(at(w.fake, 'startContainer', () => true));
    expect(w.fake.calls('createContainer').map((a) => (a[0] as { name: string }).name)).toEqual([name('web', R2)]); // stopped at the first failure
    expect(running(w.fake)).toEqual([name('beat', R1), name('web', R1), name('worker', R1)]);
    expect(proxyConfig(w.fake)).toBe(configBefore);
    expect(w.fake.calls('connectNetwork')).toEqual([]);
    expect(reachableReleases(w.fake)).toEqual([R1]);
    expect((await readHistory(w.run.store, 'web', 'staging')).current).toBe(R1);
  });

  it('a web container that exits at start is removed, with its last log lines in the error', async () => {
    const w = await world();
    await w.roll(R1);
    w.fake.clearTranscript();
    w.fake.onStart(name('web', R2), { exitCode: 1, logs: 'Error: cannot find module\n' });
    await expect(w.roll(R2)).rejects.toThrow(/it exited with code 1[\s\S]*cannot find module/);
    expect(proxyReloads(w.fake)).toEqual([]);
    expect(w.fake.find(name('web', R2))).toBeUndefined();
    expect(running(w.fake)).toEqual([name('beat', R1), name('web', R1), name('worker', R1)]);
  });

  it('a singleton successor that crashes: new containers removed, the old singleton started again, proxy untouched', async () => {
    const w = await world();
    await w.roll(R1);
    const oldBeat = idOf(w.fake, name('beat', R1));
    w.fake.clearTranscript();
    w.fake.onStart(name('beat', R2), { exitCode: 3 });
    await expect(w.roll(R2)).rejects.toBeInstanceOf(UnhealthyError);
    const f = w.fake;
    expect(proxyReloads(f)).toEqual([]);
    expect([name('web', R2), name('worker', R2), name('beat', R2)].map((n) => f.find(n))).toEqual([undefined, undefined, undefined]);
    expect(stoppedAt(f, oldBeat)).toBeLessThan(at(f, 'startContainer', (a) => a === oldBeat));
    expect(running(f)).toEqual([name('beat', R1), name('web', R1), name('worker', R1)]);
    expect((await readHistory(w.run.store, 'web', 'staging')).current).toBe(R1);
  });
});

describe('an interrupted rollout (engine lost at a step boundary, no undo) is recovered by reconcile', () => {
  // As with a SIGKILLed CLI: at the boundary the engine becomes unreachable, so the rollout's own
  // undo cannot run; then reconcile runs on a fresh connection (here: the engine reachable again).
  const interrupted = async (step: string): Promise<{ w: World }> => {
    const w = await world();
    await w.roll(R1);
    const err = await w
      .roll(R2, {
        checkpoint: (s) => {
          if (s === step) {
            w.fake.reachable = false;
            throw new Error(`killed at ${s}`);
          }
        },
      })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(`killed at ${step}`);
    w.fake.reachable = true;
    w.fake.clearTranscript();
    return { w };
  };

  it.each([
    ['started', R1],
    ['switched', R1],
    ['recorded', R2],
    ['drained', R2],
    ['stopped-old', R2],
  ])('killed at %s: converges on the live release (%s) with exactly one container per slot', async (step, live) => {
    const { w } = await interrupted(step);
    await reconcile(w.run, 'web', 'staging');
    const f = w.fake;
    expect((await readHistory(w.run.store, 'web', 'staging')).current).toBe(live);
    expect(running(f)).toEqual([name('beat', live), name('web', live), name('worker', live)]);
    if (live === R1) expect([...f.containers.values()].filter((c) => c.name.endsWith(R2))).toEqual([]);
    // No orphans: every app container is of a release in the history.
    expect([...f.containers.values()].filter((c) => c.spec.labels['slipway.role'] === 'app' && ![R1, R2].includes(c.spec.labels['slipway.release']!))).toEqual(
      [],
    );
    // The proxy reaches the live release, and only it.
    expect(reachableReleases(f)).toEqual([live]);
  });

  it.each(['started', 'switched'])('killed at %s: reconcile never runs two copies of the singleton', async (step) => {
    const { w } = await interrupted(step);
    const f = w.fake;
    const oldBeat = idOf(f, name('beat', R1));
    const newBeat = idOf(f, name('beat', R2));
    expect(f.find(oldBeat)?.state).toBe('exited');
    expect(f.find(newBeat)?.state).toBe('running');
    await reconcile(w.run, 'web', 'staging');
    const gone = f.transcript.findIndex((e) => (e.op === 'removeContainer' || e.op === 'stopContainer') && e.args[0] === newBeat);
    expect(gone).toBeGreaterThanOrEqual(0);
    expect(gone).toBeLessThan(startedAt(f, oldBeat));
  });

  it('killed at started: the new release never became reachable; reconcile keeps it that way', async () => {
    const { w } = await interrupted('started');
    expect(reachableReleases(w.fake)).toEqual([R1]);
    await reconcile(w.run, 'web', 'staging');
    expect(w.fake.calls('connectNetwork').filter((a) => a[1] === idOf(w.fake, name('web', R1)))).toEqual([]);
    expect(reachableReleases(w.fake)).toEqual([R1]);
  });

  it('killed at switched: the live web keeps serving while the new one is taken out of reach and removed', async () => {
    const { w } = await interrupted('switched');
    const f = w.fake;
    expect(reachableReleases(f)).toEqual([R1, R2]);
    const liveWeb = idOf(f, name('web', R1));
    const newWeb = idOf(f, name('web', R2));
    await reconcile(w.run, 'web', 'staging');
    // The live web was never stopped nor taken off the edge network.
    expect(f.transcript.filter((e) => ['stopContainer', 'disconnectNetwork', 'removeContainer'].includes(e.op) && e.args.includes(liveWeb))).toEqual([]);
    expect(at(f, 'stopContainer', (a) => a === newWeb)).toBeLessThan(at(f, 'removeContainer', (a) => a === newWeb));
    expect(reachableReleases(f)).toEqual([R1]);
  });
});
