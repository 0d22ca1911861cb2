// Grandfather-father-son retention, per destination (pure): from the complete backups a
// destination holds, which to keep and why. Like restic's `forget --keep-*`: walking from the
// newest, each tier keeps the newest backup of each of its last N distinct periods (UTC hour, day,
// ISO week, month), and `last` keeps the newest N. Whatever the counts, the newest backup and the
// newest verified backup are always kept, so retention can never leave an environment with nothing
// restorable. Incomplete leftovers are not this module's business (prune.ts removes them).
import type { Retention } from '../config/backup-policy.ts';

export interface RetentionItem {
  id: string;
  /** When the backup was taken. */
  at: Date;
  /** A `backup verify` passed for it. */
  verified: boolean;
}

export type KeepReason = 'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'newest' | 'newest-verified';

export interface RetentionDecision {
  id: string;
  at: Date;
  keep: boolean;
  /** Why it is kept (empty when it is deleted). */
  reasons: KeepReason[];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO 8601 week of a UTC date, `2025-W01`. */
export function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${t.getUTCFullYear()}-W${pad(week)}`;
}

const PERIODS: { tier: Exclude<KeepReason, 'last' | 'newest' | 'newest-verified'>; of: (d: Date) => string }[] = [
  { tier: 'hourly', of: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}` },
  { tier: 'daily', of: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` },
  { tier: 'weekly', of: isoWeek },
  { tier: 'monthly', of: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}` },
];

/** One decision per item, newest first. */
export function applyRetention(items: readonly RetentionItem[], r: Retention): RetentionDecision[] {
  const sorted = [...items].sort((a, b) => b.at.getTime() - a.at.getTime() || b.id.localeCompare(a.id));
  const out: RetentionDecision[] = sorted.map((i) => ({ id: i.id, at: i.at, keep: false, reasons: [] }));
  const keep = (d: RetentionDecision, why: KeepReason) => {
    d.keep = true;
    d.reasons.push(why);
  };
  out.slice(0, r.last).forEach((d) => keep(d, 'last'));
  for (const { tier, of } of PERIODS) {
    let left = r[tier];
    let lastPeriod: string | undefined;
    for (const d of out) {
      if (left <= 0) break;
      const p = of(d.at);
      if (p === lastPeriod) continue;
      lastPeriod = p;
      keep(d, tier);
      left--;
    }
  }
  if (out[0]) keep(out[0], 'newest');
  const verified = sorted.findIndex((i) => i.verified);
  if (verified >= 0) keep(out[verified]!, 'newest-verified');
  return out;
}
