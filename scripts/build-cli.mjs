// Bundles the CLI into dist/slipway.mjs (dependencies stay external in node_modules), so each
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
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
} catch (e) {
  console.warn(`slipway: could not prebuild the CLI (${e.message}); it will run from source through tsx`);
}
