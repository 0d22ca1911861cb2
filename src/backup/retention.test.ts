import { describe, expect, it } from 'vitest';
import type { Retention } from '../config/backup-policy.ts';
import { applyRetention, isoWeek, type RetentionItem } from './retention.ts';

const none: Retention = { last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0 };
const item = (at: string, verified = false): RetentionItem => ({ id: at, at: new Date(at), verified });
const kept = (items: RetentionItem[], r: Partial<Retention>) =>
  applyRetention(items, { ...none, ...r })
    .filter((d) => d.keep)
    .map((d) => d.id);

/** Daily backups at 03:00 UTC for `days` days ending 2025-03-31. */
const dailies = (days: number) => Array.from({ length: days }, (_, i) => item(new Date(Date.UTC(2025, 2, 31 - i, 3)).toISOString()));

describe('GFS retention', () => {
  it.each([
    ['daily 7 of 40 dailies keeps the last 7 days', { daily: 7 }, 40, 7],
    ['daily 3, no weekly (seed 000 staging)', { daily: 3 }, 10, 3],
    ['daily 30 (seed 004 off-site)', { daily: 30 }, 40, 30],
    ['daily 7 + weekly 4 + monthly 12 over 90 days: 7 days, 2 more Sundays, 2 more month ends', { daily: 7, weekly: 4, monthly: 12 }, 90, 11],
    ['last 2 only', { last: 2 }, 10, 2],
    ['nothing asked: the newest is still kept', {}, 10, 1],
  ])('%s', (_name, r, days, expected) => {
    expect(kept(dailies(days), r)).toHaveLength(expected);
  });

  it('keeps the newest of each period and walks from the newest', () => {
    const items = [item('2025-03-31T23:00:00Z'), item('2025-03-31T03:00:00Z'), item('2025-03-30T03:00:00Z'), item('2025-03-29T03:00:00Z')];
    expect(kept(items, { daily: 2 })).toEqual(['2025-03-31T23:00:00Z', '2025-03-30T03:00:00Z']);
  });

  it('hourly tiers count distinct hours', () => {
    const items = [item('2025-03-31T10:40:00Z'), item('2025-03-31T10:10:00Z'), item('2025-03-31T09:10:00Z'), item('2025-03-31T08:10:00Z')];
    expect(kept(items, { hourly: 2 })).toEqual(['2025-03-31T10:40:00Z', '2025-03-31T09:10:00Z']);
  });

  it('weekly tiers use ISO weeks (a Sunday belongs to the week before the Monday)', () => {
    expect(isoWeek(new Date('2025-03-30T12:00:00Z'))).toBe('2025-W13');
    expect(isoWeek(new Date('2025-03-31T12:00:00Z'))).toBe('2025-W14');
    expect(isoWeek(new Date('2024-12-30T00:00:00Z'))).toBe('2025-W01');
    expect(isoWeek(new Date('2021-01-03T00:00:00Z'))).toBe('2020-W53');
  });

  it('never deletes the newest verified backup, however old', () => {
    const items = [...dailies(20)];
    items[15] = { ...items[15]!, verified: true };
    items[18] = { ...items[18]!, verified: true };
    const decisions = applyRetention(items, { ...none, daily: 3 });
    const verified = decisions.find((d) => d.id === items[15]!.id)!;
    expect(verified).toMatchObject({ keep: true, reasons: ['newest-verified'] });
    expect(decisions.find((d) => d.id === items[18]!.id)!.keep).toBe(false);
    expect(decisions.filter((d) => d.keep)).toHaveLength(4);
  });

  it('says why each kept backup is kept', () => {
    const d = applyRetention(dailies(3), { ...none, last: 1, daily: 2 });
    expect(d.map((x) => [x.keep, x.reasons])).toEqual([
      [true, ['last', 'daily', 'newest']],
      [true, ['daily']],
      [false, []],
    ]);
  });

  it('an empty list decides nothing', () => {
    expect(applyRetention([], { ...none, daily: 7 })).toEqual([]);
  });
});
