// Whether the prebuilt CLI bundle (dist/slipway.mjs, made by scripts/build-cli.mjs) may run: it
// must be at least as new as every source file (the build stamps its outputs with the time it
// started), else an edited checkout would run stale code. Shared by bin/slipway.mjs and the deploy
// benchmark, which reports which of the two the CLI ran.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BUNDLE = `${ROOT}dist/slipway.mjs`;

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
