// A service's `healthcheck`: the test (string → CMD-SHELL, or list), durations in ms and retries;
// `disable: true` or `test: [NONE]` means no healthcheck.
import { isMap, isScalar, isSeq, type Node } from './compose-tree.ts';
import type { ReadContext } from './read-context.ts';
import { bool, duration, int, str, strList } from './read-scalars.ts';
import type { ComposeHealth } from './types.ts';

export function readHealthcheck(rc: ReadContext, n: Node | null, path: string): ComposeHealth | undefined {
  const node = rc.deref(n);
  if (!isMap(node)) {
    rc.badType(n, path, 'a map with test, interval, timeout, retries, start_period');
    return undefined;
  }
  const h: ComposeHealth = { test: [] };
  let disabled = false;
  for (const e of rc.entries(node, path)) {
    const p = `${path}/${e.key}`;
    switch (e.key) {
      case 'test': {
        const v = rc.deref(e.value);
        if (isScalar(v)) {
          const s = str(rc, v, p);
          if (s !== undefined) h.test = ['CMD-SHELL', s];
        } else if (isSeq(v)) h.test = strList(rc, v, p);
        else rc.badType(e.value, p, 'a command string or ["CMD", ...] / ["CMD-SHELL", "..."]');
        break;
      }
      case 'interval':
      case 'timeout':
      case 'start_period': {
        const ms = duration(rc, e.value, p);
        if (ms === undefined) break;
        if (e.key === 'interval') h.intervalMs = ms;
        else if (e.key === 'timeout') h.timeoutMs = ms;
        else h.startPeriodMs = ms;
        break;
      }
      case 'retries': {
        const r = int(rc, e.value, p, 0);
        if (r !== undefined) h.retries = r;
        break;
      }
      case 'disable':
        disabled = bool(rc, e.value, p) ?? false;
        break;
      default:
        rc.unsupported(e, p, `healthcheck "${e.key}" is not imported`);
    }
  }
  if (disabled || h.test[0] === 'NONE') return undefined;
  return h;
}
