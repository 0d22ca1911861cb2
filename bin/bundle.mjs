// The prebuilt CLI bundle (dist/slipway.cjs, made by scripts/build-cli.mjs): whether it may run
// (it must be at least as new as every source file; the build stamps it with the time it started,
// so an edited checkout never runs stale code), and loading it with V8's code cache. The cache
// (dist/slipway.cjs.<mtime>-<size>.v8cache, written after the first run of each build, when
// missing or refused) saves compiling the bundle and the functions that run at startup again: a
// CLI starts on every command, and a deploy waits for it. Used by bin/slipway.mjs and the deploy
// benchmark.
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE = `${ROOT}dist/slipway.cjs`;

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Undefined when the bundle can run; otherwise why not. */
export function bundleStaleness() {
  if (!existsSync(BUNDLE)) return 'no bundle (run npm run build)';
  const built = statSync(BUNDLE).mtimeMs;
  const newest = newestMtime(`${ROOT}src`);
  return built >= newest ? undefined : `sources changed after the bundle was built (${Math.round((newest - built) / 1000)} s newer)`;
}

/**
 * Loads a bundle (CommonJS) with its code cache. `saveCache()` after the command has run writes the
 * cache when there was none or V8 refused it (a failure to write is ignored: the cache is only a
 * speed-up).
 */
export function loadBundle(file = BUNDLE) {
  const st = statSync(file);
  // V8 checks a cache against the source's length only: the name carries the build (mtime, size).
  const cacheFile = `${file}.${Math.trunc(st.mtimeMs)}-${st.size}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  // Only whether there was a cache is kept: the cache's bytes (megabytes) are not held for as long
  // as the command runs (`slipway serve` runs for months).
  const hadCache = cachedData !== undefined;
  cachedData = undefined;
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  return {
    main: module.exports.main,
    saveCache() {
      if (hadCache && !script.cachedDataRejected) return;
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // read-only install: run without the cache
      }
    },
  };
}
