// Bundles the CLI and its dependencies into one CommonJS file, dist/slipway.cjs, so each command
// starts in well under a second instead of compiling TypeScript through tsx first; bin/slipway.mjs
// loads it with V8's code cache (bin/bundle.mjs). Run by `npm ci`/`npm install` (prepare);
// `node scripts/build-cli.mjs OUTDIR` writes elsewhere. If it fails, bin/slipway.mjs falls back to tsx.
//
// What runs at startup is what a local deploy needs: code reached only through a dynamic import
// (the SSH transport, with ssh2) initializes on first use, and two dependencies' unused parts load
// lazily. The bundle's mtime is the build's start time, so a source edited while the build ran
// counts as newer and bin/slipway.mjs runs the sources instead of a bundle that may lack the edit.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = process.argv[2] ?? `${root}dist`;

/**
 * Dependencies that load code a local deploy never runs, at their load time: docker-modem's SSH
 * dialer (and with it ssh2) and dockerode's tar-fs (build contexts from directories; Slipway sends
 * tar archives). Each is replaced by a stand-in that loads the real module on first use.
 */
const LAZY = [
  { importer: /docker-modem[\\/]lib[\\/]modem\.js$/, request: './ssh' },
  { importer: /dockerode[\\/]lib[\\/]util\.js$/, request: 'tar-fs' },
];
const lazyRequires = {
  name: 'lazy-requires',
  setup(b) {
    for (const { importer, request } of LAZY) {
      const filter = new RegExp(`^${request.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
      b.onResolve({ filter }, (args) =>
        importer.test(args.importer) ? { path: createRequire(args.importer).resolve(request), namespace: 'lazy-require' } : undefined,
      );
    }
    b.onLoad({ filter: /.*/, namespace: 'lazy-require' }, (args) => ({
      contents: [
        'let real;',
        `const load = () => (real ??= require(${JSON.stringify(args.path)}));`,
        'module.exports = new Proxy(function () {}, { apply: (_t, self, a) => load().apply(self, a), get: (_t, k) => load()[k] });',
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * Writes the bundle's code cache after an offline command that runs what most commands run (load
 * the example fleet, desire, checks), so the first real command already starts from it. Best
 * effort: without it, the first command run writes the cache.
 */
function warmCodeCache(bundle) {
  const script = [
    `import { loadBundle } from ${JSON.stringify(`${root}bin/bundle.mjs`)};`,
    `const b = loadBundle(${JSON.stringify(bundle)});`,
    `await b.main(['check', '--json', '--file', ${JSON.stringify(`${root}examples/reference/slipway.yaml`)}]);`,
    'b.saveCache();',
  ].join('\n');
  spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore', timeout: 60_000 });
}

const started = new Date();
try {
  const result = await build({
    entryPoints: { slipway: `${root}src/cli/main.ts` },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Dependencies are bundled too (one file to load: startup matters for a CLI), except ssh2,
    // whose optional native parts must be resolved at run time.
    external: ['ssh2', 'cpu-features'],
    plugins: [lazyRequires],
    sourcemap: 'linked',
    // Without comments and indentation the bundle is ASCII only: V8 keeps its source as a
    // one-byte string (a comment's "→" made the whole 9 MB a two-byte string, held for the life of
    // the process: `slipway serve` idles at a fraction of that). Names stay, so stacks read.
    minifyWhitespace: true,
    legalComments: 'none',
    charset: 'ascii',
    write: false,
    logLevel: 'warning',
  });
  // Each file is written aside and renamed into place (a CLI starting meanwhile never reads half a
  // file), the bundle last; then what earlier builds left goes (code caches of other builds, the
  // ESM bundle and chunks of builds before this layout).
  const entry = join(outdir, 'slipway.cjs');
  const files = [...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  mkdirSync(outdir, { recursive: true });
  for (const f of files) {
    writeFileSync(`${f.path}.tmp`, f.contents);
    utimesSync(`${f.path}.tmp`, started, started);
    renameSync(`${f.path}.tmp`, f.path);
  }
  const kept = new Set(files.map((f) => f.path));
  for (const name of readdirSync(outdir)) if (!kept.has(join(outdir, name))) rmSync(join(outdir, name), { recursive: true, force: true });
  warmCodeCache(entry);
} catch (e) {
  console.warn(`slipway: could not prebuild the CLI (${e.message}); it will run from source through tsx`);
}
