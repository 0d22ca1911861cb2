// Bundles the CLI and its dependencies into dist/slipway.mjs, so each
// command starts in well under a second instead of compiling TypeScript through tsx first.
// Run by `npm ci`/`npm install` (prepare). If it fails, bin/slipway.mjs falls back to tsx.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
try {
  await build({
    entryPoints: [`${root}src/cli/main.ts`],
    outfile: `${root}dist/slipway.mjs`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies are bundled too (one file to load: startup matters for a CLI), except ssh2,
    // whose optional native parts must be resolved at run time.
    external: ['ssh2', 'cpu-features'],
    banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch (e) {
  console.warn(`slipway: could not prebuild the CLI (${e.message}); it will run from source through tsx`);
}
