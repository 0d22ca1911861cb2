// Human views of `slipway lock status` and `slipway lock release`.
import type { LockReleaseResult, LockRow } from '../../workflows/lock-admin.ts';
import { table } from './table.ts';

export function renderLockStatus(rows: readonly LockRow[]): string {
  return table(
    ['ENV', 'SERVER', 'LOCK'],
    rows.map((r) => [
      r.env,
      r.server,
      r.locked
        ? `held by ${r.holder ?? '?'} (pid ${r.pid ?? '?'}) running "${r.command ?? ''}" since ${r.since ?? ''}${r.stale ? ' — STALE: that process is gone' : ''}`
        : 'free',
    ]),
  );
}

export function renderLockRelease(r: LockReleaseResult): string {
  if (r.released.length === 0) return `${r.env} was not locked\n`;
  return r.released.map((l) => `released the lock of ${r.env} on ${l.server} (held by ${l.holder}, pid ${l.pid}, "${l.command}")\n`).join('');
}
