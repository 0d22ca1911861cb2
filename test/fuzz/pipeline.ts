// What the fuzzer runs one input through, and what counts as a failure. A fleet file goes through
// load (with compose import), desire, diff against an empty server, check and every renderer; a
// compose file through `init --from` (which reads it with the compose reader) and then, when init wrote a fleet, the
// same chain as a fleet file. Failing is: an exception (anything thrown is a crash; bad input must
// come back as diagnostics; the one exception is the renderers' refusal of a host routed twice,
// which load has already reported), or rendered diagnostics that carry a stack trace or a
// JavaScript error's wording.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initFromCompose } from '../../src/config/compose/init-from-compose.ts';
import { loadFleet } from '../../src/config/load.ts';
import type { Diagnostic } from '../../src/diag/diagnostic.ts';
import { renderDiagnostics, type SourceLines } from '../../src/diag/render-human.ts';
import { fileSourceReader } from '../../src/diag/source-reader.ts';
import { check } from '../../src/plan/check/check.ts';
import { desire } from '../../src/plan/desire/desire.ts';
import { diff } from '../../src/plan/diff/diff.ts';
import { emptyObserved } from '../../src/plan/diff/observed.ts';
import { renderAll } from '../../src/render/all.ts';

/** A failure of the properties above; `stage` says where it happened. */
export class FuzzFailure extends Error {
  constructor(
    readonly stage: string,
    message: string,
  ) {
    super(`${stage}: ${message}`);
  }
}

export interface Outcome {
  /** `code` of every diagnostic, in order (for the regression goldens). */
  codes: string[];
  /** The stages that ran to the end. */
  reached: string[];
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$/m;
const JS_ERROR =
  /\b(TypeError|RangeError|ReferenceError|InternalError|Maximum call stack|Cannot read propert|Cannot set propert|is not a function|is not iterable|of undefined|of null|\[object Object\])/;

function sourcesWith(file: string, text: string): (f: string) => SourceLines | undefined {
  const lines = text.split(/\r?\n/);
  const disk = fileSourceReader();
  return (f) => (f === file ? { lineText: (n) => lines[n - 1] ?? '' } : disk(f));
}

/** Throws when a diagnostic's rendering (what the user reads) leaks a stack trace or a JS error. */
export function assertCleanDiagnostics(stage: string, diags: readonly Diagnostic[], sources: (f: string) => SourceLines | undefined): void {
  for (const d of diags) {
    if (typeof d.message !== 'string' || d.message === '') throw new FuzzFailure(stage, `diagnostic ${d.code} has no message`);
    const shown = renderDiagnostics([d], sources);
    // The quoted source line is the user's own text: leave it out of the check.
    const own = [d.message, d.hint ?? '', d.path, d.code].join('\n');
    if (STACK.test(own)) throw new FuzzFailure(stage, `stack trace in diagnostic ${d.code}: ${own.slice(0, 500)}`);
    const m = JS_ERROR.exec(own);
    if (m) throw new FuzzFailure(stage, `JavaScript error text "${m[0]}" in diagnostic ${d.code}: ${own.slice(0, 500)}`);
    if (shown.length === 0) throw new FuzzFailure(stage, `diagnostic ${d.code} renders empty`);
  }
}

function guard<T>(stage: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FuzzFailure) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    const where = (err.stack ?? '').split('\n').slice(1, 4).join(' | ').trim();
    throw new FuzzFailure(stage, `threw ${err.name}: ${err.message.slice(0, 300)} (${where})`);
  }
}

/** Load → desire → diff → check → render for fleet text `text`, as if read from `file`. */
export function runFleet(file: string, text: string, reached: string[] = []): Outcome {
  const res = guard('load', () => loadFleet(file, { text }));
  reached.push('load');
  assertCleanDiagnostics('load', res.diagnostics, sourcesWith(file, text));
  const codes = res.diagnostics.map((d) => d.code);
  const fleet = res.fleet;
  if (!fleet) return { codes, reached };
  const desired = guard('desire', () => desire(fleet));
  reached.push('desire');
  guard('diff', () => diff(desired, emptyObserved(fleet.project)));
  reached.push('diff');
  const findings = guard('check', () => check(fleet, desired));
  reached.push('check');
  for (const f of findings) {
    const text = JSON.stringify(f);
    if (JS_ERROR.test(text) || STACK.test(text)) throw new FuzzFailure('check', `JavaScript error text in a finding: ${text.slice(0, 500)}`);
  }
  try {
    guard('render', () => renderAll(fleet, desired, ['compose', 'nginx', 'caddy', 'sql']));
  } catch (e) {
    // The one refusal the renderers make on purpose: a host routed twice on one server. Load has
    // already warned about it at its line (duplicate-domain) and check makes it an error; the CLI
    // prints the renderer's refusal as one line. Anything else thrown is a crash.
    if (!(codes.includes('duplicate-domain') && /: threw Error: (nginx|caddy): two routes for host /.test((e as Error).message))) throw e;
    return { codes, reached };
  }
  reached.push('render');
  return { codes, reached };
}

/**
 * Compose text `text` as the file `name` in `dir` (which holds the rest of its project: env files,
 * config files): read, `init --from`, then the fleet chain on the fleet init wrote. The text is
 * written to `dir/name` so the fleet's import reads it like a user's file.
 */
export function runCompose(dir: string, name: string, text: string): Outcome {
  const file = join(dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, text);
  const sources = sourcesWith(file, text);
  // init reads the compose file (readCompose) and returns the reader's diagnostics with its own.
  const init = guard('init', () => initFromCompose(name, { baseDir: dir, text, envs: ['staging', 'prod'] }));
  const reached = ['init'];
  assertCleanDiagnostics('init', init.diagnostics, sources);
  if (!init.yaml) return { codes: init.diagnostics.map((d) => d.code), reached };
  const out = runFleet(join(dir, 'slipway.yaml'), init.yaml, reached);
  return { codes: [...init.diagnostics.map((d) => d.code), ...out.codes], reached: out.reached };
}
