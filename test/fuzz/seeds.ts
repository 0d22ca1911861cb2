// The fuzzer's seeds: every example fleet file (examples/*/slipway.yaml) and every compose file of
// the compose corpus (test/corpus/compose/*/, the files with a top-level `services:`). Compose
// seeds are mutated in a private copy of their directory, which keeps their env and config files.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface FleetSeed {
  /** The example's own path: its compose imports resolve beside it (read, never written). */
  file: string;
  text: string;
}

export interface ComposeSeed {
  /** Corpus directory, e.g. test/corpus/compose/kong. */
  source: string;
  name: string;
  text: string;
}

export function fleetSeeds(): FleetSeed[] {
  const dir = join(ROOT, 'examples');
  return readdirSync(dir)
    .sort()
    .map((e) => join(dir, e, 'slipway.yaml'))
    .filter((f) => existsSync(f))
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

export function composeSeeds(): ComposeSeed[] {
  const corpus = join(ROOT, 'test', 'corpus', 'compose');
  const out: ComposeSeed[] = [];
  for (const entry of readdirSync(corpus).sort()) {
    const source = join(corpus, entry);
    for (const name of readdirSync(source).sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const text = readFileSync(join(source, name), 'utf8');
      if (/^services:/m.test(text)) out.push({ source, name, text });
    }
  }
  return out;
}

/** Private copies of the corpus directories; `dir(seed)` is where that seed is mutated. */
export class ComposeWorkdirs {
  readonly #root = mkdtempSync(join(tmpdir(), 'slipway-fuzz-'));
  readonly #dirs = new Map<string, string>();

  dir(seed: ComposeSeed): string {
    let d = this.#dirs.get(seed.source);
    if (!d) {
      d = join(this.#root, String(this.#dirs.size));
      cpSync(seed.source, d, { recursive: true });
      this.#dirs.set(seed.source, d);
    }
    return d;
  }

  remove(): void {
    rmSync(this.#root, { recursive: true, force: true });
  }
}
