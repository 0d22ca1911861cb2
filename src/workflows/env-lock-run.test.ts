// withEnvLock / withEnvLocks against the recording FakeEngine: the lock is held (and says what runs)
// while the work runs and is gone afterwards, whatever happened; audit entries "started" and then
// "ok" or "failed" with durations; a lock held by someone else refuses the work and keeps their lock;
// state read before the lock is read again once it is ours; state writes still in flight finish
// before the lock goes; several environments are locked in name order, all or none.
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import type { ServerConnection } from '../engine/connection.ts';
import { FakeEngine } from '../engine/fake-engine.ts';
import { desire } from '../plan/desire/desire.ts';
import { readAudit } from './audit.ts';
import { withEnvLock, withEnvLocks } from './env-lock-run.ts';
import { EnvLock, LockHeldError, lockName, readLock } from './lock.ts';
import { createReporter } from './reporter.ts';
import { serverRun, type ServerRun } from './server-run.ts';
import { StateStore } from './state-store.ts';

const FLEET = `project: acme
servers:
  s1: { local: true, memory: 4GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  staging: { server: s1, domain: "{app}-staging.localhost", tls: "off" }
  prod: { server: s1, domain: "{app}.localhost", tls: "off" }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;

function world(): { fake: FakeEngine; run: ServerRun; clock: { t: number }; out: string[] } {
  const loaded = loadFleet('/srv/acme/slipway.yaml', { text: FLEET });
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics));
  const fleet = loaded.fleet;
  const fake = new FakeEngine('s1');
  const clock = { t: Date.UTC(2025, 0, 1) };
  const now = () => clock.t;
  const out: string[] = [];
  const conn: ServerConnection = {
    server: fleet.servers[0]!,
    engine: fake,
    dialer: { dial: async () => Promise.reject(new Error('no dial')) },
    close: async () => {},
  };
  return { fake, run: serverRun(fleet, desire(fleet), conn, createReporter({ write: (t) => void out.push(t) }, now), now), clock, out };
}

const OPTS = { command: 'deploy web staging --image acme/web:v1', action: 'deploy', app: 'web', lockWaitS: 0 };
const index = (fake: FakeEngine, op: string, pred: (args: unknown[]) => boolean = () => true) => fake.transcript.findIndex((e) => e.op === op && pred(e.args));
const isLock = (env: string) => (a: unknown[]) => (a[0] as { name?: string }).name === lockName('acme', env);

describe('withEnvLock', () => {
  it('runs the work holding the lock, then releases it; audit says started, then ok with the release and the duration', async () => {
    const w = world();
    const result = await withEnvLock(w.run, 'staging', OPTS, async (locked) => {
      expect(await readLock(w.fake, 'acme', 'staging')).toMatchObject({ command: OPTS.command, pid: process.pid });
      locked.note({ release: '20250101000000' });
      w.clock.t += 1234;
      return 42;
    });
    expect(result).toBe(42);
    expect(w.fake.find(lockName('acme', 'staging'))).toBeUndefined();
    expect(w.out.join('')).toContain('✓ lock staging on s1');
    const entries = await readAudit(new StateStore(w.fake, 'acme'));
    expect(entries.map((e) => e.outcome)).toEqual(['started', 'ok']);
    expect(entries[0]).toMatchObject({ action: 'deploy', env: 'staging', app: 'web', detail: OPTS.command });
    expect(entries[1]).toMatchObject({ action: 'deploy', env: 'staging', app: 'web', release: '20250101000000', durationMs: 1234 });
    // Both entries were on the server before the lock went.
    const lastWrite = w.fake.transcript.map((e) => e.op).lastIndexOf('putArchive');
    expect(lastWrite).toBeLessThan(index(w.fake, 'removeContainer'));
  });

  it('startedAt "note": the "started" entry waits for the work to name its release, and is still written first', async () => {
    const w = world();
    await withEnvLock(w.run, 'staging', { ...OPTS, startedAt: 'note' }, async (locked) => {
      // No audit entry yet (the state holder may have been set up by the move guard's read).
      expect(await readAudit(new StateStore(w.fake, 'acme'))).toEqual([]);
      locked.note({ release: 'r9' });
    });
    const entries = await readAudit(new StateStore(w.fake, 'acme'));
    expect(entries.map((e) => [e.outcome, e.release])).toEqual([
      ['started', 'r9'],
      ['ok', 'r9'],
    ]);
  });

  it('a failure: rethrown, audit says failed with its first line and the duration, the lock is released', async () => {
    const w = world();
    const err = await withEnvLock(w.run, 'staging', OPTS, async (locked) => {
      locked.note({ release: 'r7' });
      w.clock.t += 50;
      throw new Error('health check failed\nlast output: …');
    }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^health check failed/);
    expect(w.fake.find(lockName('acme', 'staging'))).toBeUndefined();
    const entries = await readAudit(new StateStore(w.fake, 'acme'));
    expect(entries.map((e) => e.outcome)).toEqual(['started', 'failed']);
    expect(entries[1]).toMatchObject({ env: 'staging', release: 'r7', durationMs: 50, detail: 'health check failed' });
  });

  it('held by someone alive: refused naming the holder; the work never runs, nothing is audited, their lock stays', async () => {
    const w = world();
    w.fake.addImage('slipway/state:1');
    const theirs = await new EnvLock(w.fake, 'acme', 'staging').acquire({ command: 'rollback web staging', now: () => w.clock.t });
    let ran = false;
    const err = await withEnvLock(w.run, 'staging', OPTS, async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toContain('"rollback web staging"');
    expect(ran).toBe(false);
    expect(await readLock(w.fake, 'acme', 'staging')).toEqual(theirs);
    expect(w.fake.ops('putArchive')).toEqual([]);
  });

  it('state read before the lock was ours is read again under the lock (another operator may have written it)', async () => {
    const w = world();
    const path = 'releases/staging/web.json';
    await w.run.store.write(path, 'old');
    expect((await w.run.store.read(path))?.toString()).toBe('old');
    await new StateStore(w.fake, 'acme').write(path, 'written by the previous holder');
    const seen = await withEnvLock(w.run, 'staging', { ...OPTS, prefetch: [path] }, async () => (await w.run.store.read(path))?.toString());
    expect(seen).toBe('written by the previous holder');
  });

  it('state writes the work left in flight reach the server before the lock is released', async () => {
    const w = world();
    await withEnvLock(w.run, 'staging', OPTS, async () => {
      void w.run.store.write('releases/staging/web.json', '{"current":"r1"}');
    });
    const written = index(w.fake, 'putArchive', (a) => (a[2] as { files: string[] }).files.includes('state/releases/staging/web.json'));
    expect(written).toBeGreaterThan(-1);
    expect(written).toBeLessThan(index(w.fake, 'removeContainer'));
    expect(w.fake.readFile('acme-slipway-state', '/state/releases/staging/web.json')).toBe('{"current":"r1"}');
  });

  it('a lock that cannot be released after a success fails the command with a hint to release it by hand', async () => {
    const w = world();
    w.fake.failOn('removeContainer', { detail: 'engine busy' });
    const err = await withEnvLock(w.run, 'staging', OPTS, async () => 'done').catch((e: unknown) => e);
    expect((err as Error).message).toContain('engine busy');
    expect(w.out.join('')).toContain('slipway lock release staging');
  });
});

describe('withEnvLocks (several environments)', () => {
  it('takes the locks in name order and releases them in reverse; the audit entries name no environment', async () => {
    const w = world();
    await withEnvLocks(w.run, ['staging', 'prod'], { command: 'up', action: 'up', lockWaitS: 0 }, async () => {
      expect(await readLock(w.fake, 'acme', 'prod')).toBeDefined();
      expect(await readLock(w.fake, 'acme', 'staging')).toBeDefined();
    });
    expect(index(w.fake, 'createContainer', isLock('prod'))).toBeLessThan(index(w.fake, 'createContainer', isLock('staging')));
    const removed = w.fake.calls('removeContainer').map((a) => a[0]);
    expect(removed).toHaveLength(2);
    expect(w.fake.find(lockName('acme', 'prod'))).toBeUndefined();
    expect(w.fake.find(lockName('acme', 'staging'))).toBeUndefined();
    const entries = await readAudit(new StateStore(w.fake, 'acme'));
    expect(entries.map((e) => [e.action, e.outcome, e.env])).toEqual([
      ['up', 'started', undefined],
      ['up', 'ok', undefined],
    ]);
  });

  it('one environment held by someone else: the locks already taken are released and the work never runs', async () => {
    const w = world();
    w.fake.addImage('slipway/state:1');
    await new EnvLock(w.fake, 'acme', 'staging').acquire({ command: 'deploy web staging', now: () => w.clock.t });
    let ran = false;
    await expect(
      withEnvLocks(w.run, ['staging', 'prod'], { command: 'up', action: 'up', lockWaitS: 0 }, async () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(LockHeldError);
    expect(ran).toBe(false);
    expect(w.fake.find(lockName('acme', 'prod'))).toBeUndefined();
    expect(w.fake.find(lockName('acme', 'staging'))).toBeDefined();
  });
});
