// An environment's `move:` section with its defaults (config/move-schema.ts).
import type { MoveSettings } from './fleet.ts';
import type { RawEnvMove } from './move-schema.ts';
import { parseLongDuration } from '../util/duration.ts';
import type { Diagnostic } from '../diag/diagnostic.ts';
import type { YamlSource } from './yaml-source.ts';

/** What this needs of normalize's context. */
interface NormalizeContext {
  src: YamlSource;
  diagnostics: Diagnostic[];
}

/** Seed 003 kept the old server as a hot fallback for 48 hours. */
export const DEFAULT_STABLE_MS = 48 * 3_600_000;

export function defaultMove(): MoveSettings {
  return { testPrefix: 'test-', checks: [], stableMs: DEFAULT_STABLE_MS, retryAfterS: 2, heldWrites: '503' };
}

export function normalizeMove(env: string, raw: RawEnvMove | undefined, ctx: NormalizeContext): MoveSettings {
  const m = defaultMove();
  if (!raw) return m;
  if (raw.test_prefix !== undefined) m.testPrefix = raw.test_prefix;
  if (raw.checks !== undefined) m.checks = [...raw.checks];
  if (raw.retry_after !== undefined) m.retryAfterS = raw.retry_after;
  if (raw.held_writes !== undefined) m.heldWrites = raw.held_writes === 'wait' ? 'wait' : '503';
  if (raw.stable !== undefined) {
    const ms = parseLongDuration(raw.stable);
    const path = ['environments', env, 'move', 'stable'];
    if (ms === undefined)
      ctx.diagnostics.push({
        severity: 'error',
        code: 'move-stable-invalid',
        path: path.join('/'),
        message: `invalid duration "${raw.stable}"`,
        hint: 'write how long the environment must run on its new server before move --finish, e.g. "48h", "7d" or "2w"',
        pos: ctx.src.posOf(path),
      });
    else m.stableMs = ms;
  }
  return m;
}
