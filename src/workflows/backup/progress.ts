// Progress of a long data step, for people: every few seconds a line with the bytes so far, the
// rate, and an ETA when the expected size is known (the same object in the previous backup).
import { formatSize } from '../../util/size.ts';
import type { Reporter } from '../reporter.ts';

export interface Progress {
  update(bytes: number): void;
  stop(): void;
}

export function startProgress(report: Reporter, label: string, now: () => number, expected?: number, everyMs = 5_000): Progress {
  const t0 = now();
  let bytes = 0;
  const timer = setInterval(() => {
    const s = (now() - t0) / 1000;
    const rate = s > 0 ? bytes / s : 0;
    const eta = expected && rate > 0 && expected > bytes ? `, ETA ${Math.ceil((expected - bytes) / rate)} s` : '';
    report.info(`  … ${label}: ${formatSize(bytes)} at ${formatSize(rate)}/s${eta}`);
  }, everyMs);
  timer.unref();
  return {
    update: (b) => {
      bytes = b;
    },
    stop: () => clearInterval(timer),
  };
}
