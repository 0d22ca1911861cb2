#!/usr/bin/env node
// Entry point. Runs the prebuilt bundle (dist/slipway.mjs, made by `npm ci` via scripts/
// build-cli.mjs) when it is newer than every source file; otherwise the TypeScript sources
// through tsx, so an edited checkout never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist/slipway.mjs`;

function newestMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let main;
if (existsSync(dist) && statSync(dist).mtimeMs >= newestMtime(`${root}src`)) {
  ({ main } = await import(dist));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
