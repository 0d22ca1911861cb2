// bench/lib/run-bundle.mjs — what bin/slipway.mjs does, for a CLI bundle the deploy benchmark built
// at its start (`node run-bundle.mjs BUNDLE ARGS…`): the same freshness check of the sources (its
// cost counts; its answer does not, so edits others make during a long run cannot switch the CLI
// to tsx halfway), then the bundle with its code cache. An ESM bundle (`.mjs`, as builds before
// dist/slipway.cjs made; for BENCH_CLI comparisons) is imported, as bin/slipway.mjs then did.
// Plain JS so it needs no loader.
import { pathToFileURL } from 'node:url';
import { bundleStaleness, loadBundle } from '../../bin/bundle.mjs';

bundleStaleness();
const [file, ...args] = process.argv.slice(2);
if (file.endsWith('.mjs')) {
  const { main } = await import(pathToFileURL(file).href);
  process.exitCode = await main(args);
} else {
  const bundle = loadBundle(file);
  process.exitCode = await bundle.main(args);
  bundle.saveCache();
}
