// Catch-up arithmetic, pure: a restart after one or many missed slots catches up one run (the
// latest slot), a restart before the next slot catches up nothing, and next run times are listed.
import { describe, expect, it } from 'vitest';
import { missedRun, nextRuns } from './cron-times.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('nextRuns', () => {
  it('lists the next times strictly after `from`, in UTC', () => {
    expect(nextRuns('0 3 * * *', at('2024-05-01T03:00:00Z'), 3).map(iso)).toEqual([
      '2024-05-02T03:00:00.000Z',
      '2024-05-03T03:00:00.000Z',
      '2024-05-04T03:00:00.000Z',
    ]);
    expect(nextRuns('@weekly', at('2024-05-01T12:00:00Z'), 1).map(iso)).toEqual(['2024-05-05T00:00:00.000Z']);
    expect(nextRuns('5/15 * * * *', at('2024-05-01T12:00:00Z'), 2).map(iso)).toEqual(['2024-05-01T12:05:00.000Z', '2024-05-01T12:20:00.000Z']);
    expect(nextRuns('*/20 * * * * *', at('2024-05-01T12:00:05Z'), 2).map(iso)).toEqual(['2024-05-01T12:00:20.000Z', '2024-05-01T12:00:40.000Z']);
  });
});

describe('missedRun', () => {
  const daily = '0 3 * * *';

  it('nothing missed: restarted before the next slot', () => {
    expect(missedRun(daily, at('2024-05-01T03:00:04Z'), at('2024-05-02T02:59:59Z'))).toBeUndefined();
  });

  it('one slot missed while down → one run', () => {
    expect(missedRun(daily, at('2024-05-01T03:00:04Z'), at('2024-05-02T03:10:00Z'))).toEqual({
      slot: at('2024-05-02T03:00:00Z'),
      first: at('2024-05-02T03:00:00Z'),
      slots: 1,
    });
  });

  it('three days down → still one run, for the latest slot (the count is kept for the record)', () => {
    expect(missedRun(daily, at('2024-05-01T03:00:04Z'), at('2024-05-04T09:00:00Z'))).toEqual({
      slot: at('2024-05-04T03:00:00Z'),
      first: at('2024-05-02T03:00:00Z'),
      slots: 3,
    });
  });

  it('the slot at exactly `now` counts; the run at exactly a slot covers it', () => {
    expect(missedRun(daily, at('2024-05-01T03:00:00Z'), at('2024-05-02T03:00:00Z'))?.slot).toBe(at('2024-05-02T03:00:00Z'));
    expect(missedRun(daily, at('2024-05-02T03:00:00Z'), at('2024-05-02T03:00:00.900Z'))).toBeUndefined();
  });

  it('hourly over a long outage caps the count', () => {
    expect(missedRun('0 * * * *', at('2024-01-01T00:30:00Z'), at('2024-03-01T00:00:00Z'), 50)).toMatchObject({ slot: at('2024-03-01T00:00:00Z'), slots: 50 });
  });
});
