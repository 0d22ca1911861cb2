// Environment lock against the recording FakeEngine: acquire/release, conflicts that name the
// holder and its command, stale takeover (holder's pid gone on this host), and --lock-wait with
// an injected clock and sleep (no real waiting).
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { FakeEngine } from '../engine/fake-engine.ts';
import { EnvLock, isStale, LockHeldError, lockName, readLock, type LockOptions } from './lock.ts';
import { STATE_IMAGE } from './state-image.ts';

const COMMAND = 'deploy web staging --ref develop';

function clock(start = 1_700_000_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    elapsed: () => t - start,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

const alive = () => true;
const dead = () => false;

function opts(c: ReturnType<typeof clock>, over: Partial<LockOptions> = {}): LockOptions {
  return { command: COMMAND, now: c.now, sleep: c.sleep, isAlive: alive, ...over };
}

/** A lock container as another process (or host) would have left it. */
async function plantLock(fake: FakeEngine, holder: { host?: string; pid?: number; command?: string }): Promise<void> {
  if (!fake.images.has(STATE_IMAGE)) fake.addImage(STATE_IMAGE);
  await fake.createContainer({
    name: lockName('acme', 'staging'),
    image: STATE_IMAGE,
    env: {},
    labels: {
      'slipway.project': 'acme',
      'slipway.env': 'staging',
      'slipway.role': 'lock',
      'slipway.lock.holder': 'ops@ci-runner',
      'slipway.lock.host': holder.host ?? hostname(),
      'slipway.lock.pid': String(holder.pid ?? 424242),
      'slipway.lock.command': holder.command ?? 'deploy api staging',
      'slipway.lock.since': '2025-01-01T00:00:00.000Z',
    },
    networks: [],
    mounts: [],
    restart: 'no',
    stopTimeoutS: 1,
  });
}

describe('EnvLock acquire and release', () => {
  it('holds the lock as a never-started container whose labels say who, what and since when', async () => {
    const fake = new FakeEngine('web1');
    const c = clock();
    const held = await new EnvLock(fake, 'acme', 'staging').acquire(opts(c));
    expect(held).toMatchObject({ pid: process.pid, host: hostname(), command: COMMAND, since: new Date(c.now()).toISOString() });
    const box = fake.find('acme-lock-staging')!;
    expect(box.state).toBe('created');
    expect(box.spec.image).toBe(STATE_IMAGE);
    expect(box.spec.labels).toMatchObject({
      'slipway.project': 'acme',
      'slipway.env': 'staging',
      'slipway.role': 'lock',
      'slipway.lock.command': COMMAND,
      'slipway.lock.pid': String(process.pid),
    });
    expect(await readLock(fake, 'acme', 'staging')).toEqual(held);
    expect(fake.ops('startContainer')).toEqual([]);
    expect(c.sleeps).toEqual([]);
  });

  it('release frees it; releasing a free lock is a no-op; readLock says undefined when free', async () => {
    const fake = new FakeEngine('web1');
    const lock = new EnvLock(fake, 'acme', 'staging');
    await lock.acquire(opts(clock()));
    await lock.release();
    expect(await readLock(fake, 'acme', 'staging')).toBeUndefined();
    await expect(lock.release()).resolves.toBeUndefined();
    await lock.acquire(opts(clock()));
    expect(await readLock(fake, 'acme', 'staging')).toMatchObject({ command: COMMAND });
  });

  it('locks are per environment and per project', async () => {
    const fake = new FakeEngine('web1');
    const c = clock();
    await new EnvLock(fake, 'acme', 'staging').acquire(opts(c));
    await expect(new EnvLock(fake, 'acme', 'prod').acquire(opts(c))).resolves.toMatchObject({ command: COMMAND });
    await expect(new EnvLock(fake, 'other', 'staging').acquire(opts(c))).resolves.toMatchObject({ command: COMMAND });
  });

  it('of two acquires racing on one engine, exactly one wins', async () => {
    const fake = new FakeEngine('web1');
    const results = await Promise.allSettled([
      new EnvLock(fake, 'acme', 'staging').acquire(opts(clock())),
      new EnvLock(fake, 'acme', 'staging').acquire(opts(clock())),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(LockHeldError);
  });

  it('propagates engine failures other than a name conflict', async () => {
    const fake = new FakeEngine('web1');
    fake.failOn('createContainer', { detail: 'disk full', statusCode: 500 });
    await expect(new EnvLock(fake, 'acme', 'staging').acquire(opts(clock()))).rejects.toThrow(/disk full/);
  });
});

describe('EnvLock conflicts', () => {
  it('a held lock refuses at once without --lock-wait, naming holder, pid, host and command', async () => {
    const fake = new FakeEngine('web1');
    await plantLock(fake, { pid: 4242, command: 'deploy web staging --ref develop' });
    const c = clock();
    const err = await new EnvLock(fake, 'acme', 'staging').acquire(opts(c, { command: 'deploy web staging' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    const e = err as LockHeldError;
    expect(e.holder).toMatchObject({ holder: 'ops@ci-runner', pid: 4242, host: hostname(), command: 'deploy web staging --ref develop' });
    expect(e.env).toBe('staging');
    expect(e.server).toBe('web1');
    expect(e.message).toBe(
      `environment staging on web1 is locked by ops@ci-runner (pid 4242 on ${hostname()}) running "deploy web staging --ref develop" since 2025-01-01T00:00:00.000Z`,
    );
    expect(e.hint).toContain('--lock-wait');
    expect(e.hint).toContain('slipway lock release staging');
    expect(c.sleeps).toEqual([]);
    // The holder's lock is untouched.
    expect(fake.ops('removeContainer')).toEqual([]);
  });

  it('a lock held on another host is never taken over, even if that pid is not alive here', async () => {
    const fake = new FakeEngine('web1');
    await plantLock(fake, { host: 'laptop-of-someone-else', pid: 77 });
    const notes: string[] = [];
    await expect(new EnvLock(fake, 'acme', 'staging').acquire(opts(clock(), { isAlive: dead, onNote: (m) => notes.push(m) }))).rejects.toBeInstanceOf(
      LockHeldError,
    );
    expect(notes).toEqual([]);
    expect(await readLock(fake, 'acme', 'staging')).toMatchObject({ host: 'laptop-of-someone-else', pid: 77 });
  });

  it('takes over a stale lock (its holder ran here and is gone) and says so', async () => {
    const fake = new FakeEngine('web1');
    await plantLock(fake, { pid: 999_999, command: 'deploy web staging --ref develop' });
    const notes: string[] = [];
    const checked: number[] = [];
    const c = clock();
    const held = await new EnvLock(fake, 'acme', 'staging').acquire(
      opts(c, { command: 'deploy web staging', isAlive: (pid) => (checked.push(pid), false), onNote: (m) => notes.push(m) }),
    );
    expect(checked).toEqual([999_999]);
    expect(notes).toEqual([
      'lock on staging was left by pid 999999 ("deploy web staging --ref develop", since 2025-01-01T00:00:00.000Z), which is no longer running: taking it over',
    ]);
    expect(held).toMatchObject({ pid: process.pid, command: 'deploy web staging' });
    expect(await readLock(fake, 'acme', 'staging')).toMatchObject({ pid: process.pid, command: 'deploy web staging' });
    expect(c.sleeps).toEqual([]);
  });

  it("of two processes taking over the same stale lock, only one gets it (the slower one never removes the winner's lock)", async () => {
    const fake = new FakeEngine('web1');
    await plantLock(fake, { pid: 999_999 });
    const onlyStaleIsDead = (pid: number) => pid !== 999_999;
    const a = new EnvLock(fake, 'acme', 'staging');
    let aDone!: Promise<unknown>;
    // B judges the lock stale, then stalls just before removing it while A takes it over.
    const slowB = new Proxy(fake, {
      get(target, prop) {
        if (prop === 'removeContainer') {
          return async (...args: Parameters<FakeEngine['removeContainer']>) => {
            aDone ??= a.acquire(opts(clock(), { command: 'deploy web staging (A)', isAlive: onlyStaleIsDead }));
            await aDone;
            return target.removeContainer(...args);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
      },
    });
    const b = new EnvLock(slowB, 'acme', 'staging');
    const bResult = await b.acquire(opts(clock(), { command: 'deploy web staging (B)', isAlive: onlyStaleIsDead })).catch((e: unknown) => e);
    expect(await aDone).toMatchObject({ command: 'deploy web staging (A)' });
    expect(bResult).toBeInstanceOf(LockHeldError);
    expect((bResult as LockHeldError).holder.command).toBe('deploy web staging (A)');
    expect(await readLock(fake, 'acme', 'staging')).toMatchObject({ command: 'deploy web staging (A)' });
  });

  it("release removes only the lock this holder acquired, not a successor's", async () => {
    const fake = new FakeEngine('web1');
    const first = new EnvLock(fake, 'acme', 'staging');
    await first.acquire(opts(clock(), { command: 'deploy web staging (first)' }));
    // An operator force-releases it (slipway lock release), and a second deploy takes the lock.
    await new EnvLock(fake, 'acme', 'staging').release();
    await new EnvLock(fake, 'acme', 'staging').acquire(opts(clock(), { command: 'deploy web staging (second)' }));
    await first.release();
    expect(await readLock(fake, 'acme', 'staging')).toMatchObject({ command: 'deploy web staging (second)' });
  });

  it('isStale: only a positive pid on this host that is not alive', () => {
    const h = { holder: 'x', host: hostname(), pid: 12, command: 'c', since: 's' };
    expect(isStale(h, dead)).toBe(true);
    expect(isStale(h, alive)).toBe(false);
    expect(isStale({ ...h, host: 'elsewhere' }, dead)).toBe(false);
    expect(isStale({ ...h, pid: 0 }, dead)).toBe(false);
  });
});

describe('EnvLock --lock-wait (injected clock and sleep)', () => {
  it('retries every 500 ms and gives up with LockHeldError once the wait has elapsed', async () => {
    const fake = new FakeEngine('web1');
    await plantLock(fake, { pid: 4242 });
    const c = clock();
    await expect(new EnvLock(fake, 'acme', 'staging').acquire(opts(c, { waitS: 2 }))).rejects.toBeInstanceOf(LockHeldError);
    expect(c.sleeps).toEqual([500, 500, 500, 500]);
    expect(c.elapsed()).toBe(2000);
  });

  it('gets the lock as soon as the holder releases it, without waiting out the deadline', async () => {
    const fake = new FakeEngine('web1');
    const first = new EnvLock(fake, 'acme', 'staging');
    await first.acquire(opts(clock(), { command: 'deploy web staging --ref develop' }));
    const c = clock();
    const second = new EnvLock(fake, 'acme', 'staging');
    const sleep = async (ms: number) => {
      await c.sleep(ms);
      if (c.sleeps.length === 3) await first.release();
    };
    const held = await second.acquire(opts(c, { command: 'deploy web staging', waitS: 120, sleep }));
    expect(held.command).toBe('deploy web staging');
    expect(c.sleeps).toEqual([500, 500, 500]);
    expect(c.elapsed()).toBe(1500);
    expect(held.since).toBe(new Date(c.now()).toISOString());
  });

  it('a fractional wait still tries at least once more after sleeping', async () => {
    const fake = new FakeEngine('web1');
    await plantLock(fake, { pid: 4242 });
    const c = clock();
    await expect(new EnvLock(fake, 'acme', 'staging').acquire(opts(c, { waitS: 0.2 }))).rejects.toBeInstanceOf(LockHeldError);
    expect(c.sleeps).toEqual([500]);
  });
});
