#!/usr/bin/env node
// Entry point. Runs the prebuilt bundle (dist/slipway.mjs, made by `npm ci` via scripts/
// build-cli.mjs) when it is newer than every source file; otherwise the TypeScript sources
// through tsx, so an edited checkout never runs stale code.
import { BUNDLE, bundleStaleness } from './bundle-freshness.mjs';

let main;
if (bundleStaleness() === undefined) {
  ({ main } = await import(BUNDLE));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
