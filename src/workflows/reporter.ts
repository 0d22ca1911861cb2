// Progress reporting for long workflows: each step prints its label and its duration when done.
// In --json mode nothing is printed; the steps are collected for the final JSON result.
import type { Output } from '../util/output.ts';

export interface StepRecord {
  label: string;
  ms: number;
  ok: boolean;
  /** When it began (the reporter's clock, ms since the epoch): steps that overlap can be told apart. */
  at: number;
  server?: string;
}

export interface Reporter {
  info(msg: string): void;
  warn(msg: string): void;
  step<T>(label: string, fn: () => Promise<T>): Promise<T>;
  readonly steps: StepRecord[];
}

export function createReporter(out: Output | null, now: () => number, prefix = ''): Reporter {
  const steps: StepRecord[] = [];
  const warned = new Set<string>();
  return {
    steps,
    info: (msg) => out?.write(`${prefix}${msg}\n`),
    // The same warning (e.g. an unset basic-auth secret) is said once per command.
    warn: (msg) => {
      if (warned.has(msg)) return;
      warned.add(msg);
      out?.write(`${prefix}warning: ${msg}\n`);
    },
    async step(label, fn) {
      const t0 = now();
      out?.write(`${prefix}→ ${label} …\n`);
      try {
        const r = await fn();
        const ms = now() - t0;
        steps.push({ label, ms, ok: true, at: t0 });
        out?.write(`${prefix}  ✓ ${label} (${fmtMs(ms)})\n`);
        return r;
      } catch (e) {
        const ms = now() - t0;
        steps.push({ label, ms, ok: false, at: t0 });
        out?.write(`${prefix}  ✗ ${label} failed after ${fmtMs(ms)}\n`);
        throw e;
      }
    },
  };
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
