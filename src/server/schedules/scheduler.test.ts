// The scheduler with an injected clock and an in-memory store: a first start records when each job
// was first seen; a restart after missed slots runs each job once (and a second restart nothing
// more); a run never overlaps itself (catch-up, manual and croner's own ticks share one guard);
// next run times are listed. One short real croner test ticks every second.
import { describe, expect, it } from 'vitest';
import type { ScheduledJob } from './jobs.ts';
import { type JobRecord, type ScheduleEvent, Scheduler, type ScheduleStore } from './scheduler.ts';

const at = (iso: string) => Date.parse(iso);
const JOBS: ScheduledJob[] = [
  { id: 'backup:prod', cron: '0 3 * * *', work: { kind: 'backup', env: 'prod' } },
  { id: 'backup-verify:prod', cron: '0 5 * * 0', work: { kind: 'backup-verify', env: 'prod' } },
];

function memoryStore(initial: Record<string, JobRecord> = {}): ScheduleStore & { data: Record<string, JobRecord> } {
  const data = structuredClone(initial);
  return {
    data,
    load: async () => structuredClone(data),
    save: async (id, rec) => void (data[id] = structuredClone(rec)),
  };
}

interface Gate {
  opened: Promise<void>;
  open: () => void;
}
const gate = (): Gate => {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
};

function setup(store: ScheduleStore, start: string, run?: (job: ScheduledJob) => Promise<unknown>) {
  let t = at(start);
  const ran: string[] = [];
  const events: ScheduleEvent[] = [];
  const s = new Scheduler({
    jobs: JOBS,
    store,
    now: () => t,
    timers: false,
    onEvent: (e) => events.push(e),
    run: async (job) => {
      ran.push(job.id);
      t += 60_000;
      return run?.(job);
    },
  });
  return { s, ran, events, tick: (ms: number) => (t += ms) };
}

describe('Scheduler catch-up', () => {
  it('first start: nothing to catch up, each job recorded as seen', async () => {
    const store = memoryStore();
    const { s, ran } = setup(store, '2024-05-01T10:00:00Z');
    expect(await s.start()).toEqual({ caughtUp: [] });
    await s.idle();
    expect(ran).toEqual([]);
    expect(store.data).toEqual({ 'backup:prod': { since: at('2024-05-01T10:00:00Z') }, 'backup-verify:prod': { since: at('2024-05-01T10:00:00Z') } });
  });

  it('down for three daily slots: one backup run on restart, and a second restart runs nothing more', async () => {
    const store = memoryStore({
      'backup:prod': { since: at('2024-04-01T00:00:00Z'), lastRun: { at: at('2024-05-01T03:00:00Z'), outcome: 'ok', durationMs: 1000, trigger: 'schedule' } },
      'backup-verify:prod': {
        since: at('2024-04-01T00:00:00Z'),
        lastRun: { at: at('2024-04-28T05:00:00Z'), outcome: 'ok', durationMs: 1000, trigger: 'schedule' },
      },
    });
    const first = setup(store, '2024-05-04T09:00:00Z'); // a Saturday: no Sunday drill was missed
    expect(await first.s.start()).toEqual({ caughtUp: ['backup:prod'] });
    await first.s.idle();
    expect(first.ran).toEqual(['backup:prod']);
    expect(first.events.find((e) => e.kind === 'catch-up')).toEqual({
      kind: 'catch-up',
      id: 'backup:prod',
      missedSlot: at('2024-05-04T03:00:00Z'),
      missedSlots: 3,
    });
    expect(store.data['backup:prod']!.lastRun).toEqual({ at: at('2024-05-04T09:00:00Z'), outcome: 'ok', durationMs: 60_000, trigger: 'catch-up' });

    const again = setup(store, '2024-05-04T09:30:00Z');
    expect(await again.s.start()).toEqual({ caughtUp: [] });
    await again.s.idle();
    expect(again.ran).toEqual([]);
  });

  it('a job seen but never run, whose slot passed while down, is caught up', async () => {
    const store = memoryStore({ 'backup-verify:prod': { since: at('2024-05-01T10:00:00Z') } });
    const { s, ran } = setup(store, '2024-05-06T08:00:00Z');
    expect((await s.start()).caughtUp).toEqual(['backup-verify:prod']);
    await s.idle();
    expect(ran).toEqual(['backup-verify:prod']);
    expect(store.data['backup:prod']).toEqual({ since: at('2024-05-06T08:00:00Z') });
  });

  it('a failed run is recorded (first line) and counts as the run: the next restart does not repeat it', async () => {
    const store = memoryStore({ 'backup:prod': { since: at('2024-04-01T00:00:00Z') } });
    const { s } = setup(store, '2024-05-02T04:00:00Z', async () => {
      throw new Error('destination off unreachable\n    at upload');
    });
    await s.start();
    await s.idle();
    expect(store.data['backup:prod']!.lastRun).toMatchObject({ outcome: 'failed', error: 'destination off unreachable', trigger: 'catch-up' });
    const again = setup(store, '2024-05-02T05:00:00Z');
    expect((await again.s.start()).caughtUp).toEqual([]);
  });
});

describe('Scheduler runs', () => {
  it('never overlaps a job with itself: a manual run while the catch-up runs is refused as busy', async () => {
    const store = memoryStore({ 'backup:prod': { since: at('2024-04-01T00:00:00Z') } });
    const hold = gate();
    let active = 0;
    let maxActive = 0;
    const { s, ran, events } = setup(store, '2024-05-02T04:00:00Z', async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await hold.opened;
      active--;
    });
    await s.start();
    expect(s.list().find((r) => r.id === 'backup:prod')?.running).toBe(true);
    expect(await s.runNow('backup:prod')).toEqual({ status: 'busy' });
    expect(events).toContainEqual({ kind: 'skipped', id: 'backup:prod', trigger: 'manual', reason: 'the previous run is still going' });
    hold.open();
    await s.idle();
    expect(await s.runNow('backup:prod')).toMatchObject({ status: 'ran', run: { outcome: 'ok', trigger: 'manual' } });
    expect(ran).toEqual(['backup:prod', 'backup:prod']);
    expect(maxActive).toBe(1);
  });

  it('lists the next run times from the injected clock, and the last run', async () => {
    const store = memoryStore();
    const { s } = setup(store, '2024-05-01T10:00:00Z');
    await s.start();
    await s.runNow('backup-verify:prod');
    expect(s.list(2)).toEqual([
      {
        id: 'backup:prod',
        cron: '0 3 * * *',
        work: { kind: 'backup', env: 'prod' },
        next: ['2024-05-02T03:00:00.000Z', '2024-05-03T03:00:00.000Z'],
        running: false,
      },
      {
        id: 'backup-verify:prod',
        cron: '0 5 * * 0',
        work: { kind: 'backup-verify', env: 'prod' },
        next: ['2024-05-05T05:00:00.000Z', '2024-05-12T05:00:00.000Z'],
        lastRun: { at: at('2024-05-01T10:00:00Z'), outcome: 'ok', durationMs: 60_000, trigger: 'manual' },
        running: false,
      },
    ]);
    await expect(s.runNow('backup:dev')).rejects.toThrow('no scheduled job "backup:dev"');
  });

  it('a schedule croner cannot read is reported and listed with its problem; the other jobs run', async () => {
    const events: ScheduleEvent[] = [];
    const store = memoryStore({ 'backup:prod': { since: at('2024-04-01T00:00:00Z') } });
    const s = new Scheduler({
      jobs: [{ id: 'backup:qual', cron: '0 3 * * mon#9', work: { kind: 'backup', env: 'qual' } }, ...JOBS],
      store,
      now: () => at('2024-05-02T04:00:00Z'),
      timers: false,
      onEvent: (e) => events.push(e),
      run: async () => undefined,
    });
    expect((await s.start()).caughtUp).toEqual(['backup:prod']);
    await s.idle();
    expect(events[0]).toMatchObject({ kind: 'invalid-schedule', id: 'backup:qual', cron: '0 3 * * mon#9' });
    expect(s.list()[0]).toMatchObject({ id: 'backup:qual', next: [], problem: expect.stringMatching(/nth weekday/) });
    expect(store.data['backup:qual']).toBeUndefined();
  });

  it('real croner, every second: a tick while the run still goes is skipped, never overlapping', async () => {
    const hold = gate();
    const firstStarted = gate();
    const skipped = gate();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const s = new Scheduler({
      jobs: [{ id: 'tick', cron: '* * * * * *', work: { kind: 'cert-renewal', server: 's1' } }],
      store: memoryStore(),
      now: Date.now,
      onEvent: (e) => e.kind === 'skipped' && skipped.open(),
      run: async () => {
        runs++;
        active++;
        maxActive = Math.max(maxActive, active);
        firstStarted.open();
        await hold.opened;
        active--;
      },
    });
    try {
      await s.start();
      await firstStarted.opened; // within a second
      await skipped.opened; // the next second's tick found it running
      expect(runs).toBe(1);
    } finally {
      s.stop();
      hold.open();
      await s.idle();
    }
    expect(maxActive).toBe(1);
  });
});
