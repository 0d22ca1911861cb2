#!/usr/bin/env node
// Entry point. Runs the prebuilt bundle (dist/slipway.cjs, made by `npm ci` via scripts/
// build-cli.mjs) when it is newer than every source file, with V8's code cache (bin/bundle.mjs);
// otherwise the TypeScript sources through tsx, so an edited checkout never runs stale code.
import { bundleStaleness, loadBundle } from './bundle.mjs';

if (bundleStaleness() === undefined) {
  const bundle = loadBundle();
  process.exitCode = await bundle.main(process.argv.slice(2));
  bundle.saveCache();
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
