// The per-environment queue: one deploy at a time per environment (max concurrency observed by
// the runner), the newest waiting job wins and the ones it replaces settle as superseded,
// environments run side by side, failures do not block the lane, and every run is inside the lock hook.
import { describe, expect, it } from 'vitest';
import { EnvQueue, type EnvLockHook } from './env-queue.ts';

interface Gate {
  opened: Promise<void>;
  open: () => void;
}
const gate = (): Gate => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
};

/** A runner whose jobs wait for their gate; records starts and the highest concurrency per env. */
function harness() {
  const gates = new Map<string, Gate>();
  const started: string[] = [];
  const active = new Map<string, number>();
  const maxActive = new Map<string, number>();
  const startedSignal = new Map<string, Gate>();
  const signalFor = (job: string) => startedSignal.get(job) ?? startedSignal.set(job, gate()).get(job)!;
  const gateFor = (job: string) => gates.get(job) ?? gates.set(job, gate()).get(job)!;
  const run = async (env: string, job: string) => {
    active.set(env, (active.get(env) ?? 0) + 1);
    maxActive.set(env, Math.max(maxActive.get(env) ?? 0, active.get(env)!));
    started.push(`${env}:${job}`);
    signalFor(job).open();
    await gateFor(job).opened;
    active.set(env, active.get(env)! - 1);
    if (job.startsWith('bad')) throw new Error(`build of ${job} failed\nstack…`);
    return `release-${job}`;
  };
  return { run, started, maxActive, release: (job: string) => gateFor(job).open(), whenStarted: (job: string) => signalFor(job).opened };
}

describe('EnvQueue', () => {
  it('two quick pushes while one runs: one deploy of the newest after the running one, no overlap', async () => {
    const h = harness();
    const q = new EnvQueue<string, string>({ run: h.run });
    const a = q.enqueue('staging', 'a');
    await h.whenStarted('a');
    const b = q.enqueue('staging', 'b');
    const c = q.enqueue('staging', 'c');
    expect(q.state('staging')).toEqual({ running: 'a', waiting: 'c' });
    expect(await b).toEqual({ status: 'superseded', by: 'c' });
    h.release('a');
    expect(await a).toEqual({ status: 'deployed', result: 'release-a' });
    await h.whenStarted('c');
    h.release('c');
    expect(await c).toEqual({ status: 'deployed', result: 'release-c' });
    await q.idle();
    expect(h.started).toEqual(['staging:a', 'staging:c']);
    expect(h.maxActive.get('staging')).toBe(1);
    expect(q.state('staging')).toEqual({});
  });

  it('environments do not wait for each other', async () => {
    const h = harness();
    const q = new EnvQueue<string, string>({ run: h.run });
    const s = q.enqueue('staging', 's1');
    const d = q.enqueue('dev', 'd1');
    await Promise.all([h.whenStarted('s1'), h.whenStarted('d1')]);
    h.release('d1');
    expect(await d).toEqual({ status: 'deployed', result: 'release-d1' });
    h.release('s1');
    await s;
    expect(h.maxActive.get('staging')).toBe(1);
    expect(h.maxActive.get('dev')).toBe(1);
  });

  it('a failed deploy settles as failed and the waiting one still runs', async () => {
    const h = harness();
    const q = new EnvQueue<string, string>({ run: h.run });
    const bad = q.enqueue('prod', 'bad1');
    const next = q.enqueue('prod', 'v2');
    h.release('bad1');
    const o = await bad;
    expect(o.status).toBe('failed');
    expect(o.status === 'failed' && (o.error as Error).message).toMatch(/^build of bad1 failed/);
    h.release('v2');
    expect(await next).toEqual({ status: 'deployed', result: 'release-v2' });
  });

  it('runs each job inside the lock hook, and a refused lock fails that job only', async () => {
    const h = harness();
    const log: string[] = [];
    const lock: EnvLockHook = async (env, work) => {
      if (env === 'locked') throw new Error('prod is locked by alice (deploy web prod)');
      log.push(`lock ${env}`);
      try {
        return await work();
      } finally {
        log.push(`unlock ${env}`);
      }
    };
    const q = new EnvQueue<string, string>({ run: h.run, lock });
    h.release('j1');
    expect(await q.enqueue('staging', 'j1')).toEqual({ status: 'deployed', result: 'release-j1' });
    expect(log).toEqual(['lock staging', 'unlock staging']);
    expect(await q.enqueue('locked', 'j2')).toMatchObject({ status: 'failed', error: new Error('prod is locked by alice (deploy web prod)') });
    expect(h.started).toEqual(['staging:j1']);
  });
});
