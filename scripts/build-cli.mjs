// Bundles the CLI and its dependencies into dist/slipway.mjs (plus dist/chunks/ for code that
// only some commands load), so each command starts in well under a second instead of compiling
// TypeScript through tsx first. Run by `npm ci`/`npm install` (prepare); `node scripts/build-cli.mjs
// OUTDIR` writes elsewhere. If it fails, bin/slipway.mjs falls back to tsx.
//
// What loads at startup is what a local deploy needs: the SSH transport (ssh2) is split off and
// loaded only when a server is reached over SSH, and two dependencies' unused parts load lazily. Every output's mtime is the build's start time, so a source edited while the build ran
// counts as newer and bin/slipway.mjs runs the sources instead of a bundle that may lack the edit.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
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

const started = new Date();
try {
  const result = await build({
    entryPoints: { slipway: `${root}src/cli/main.ts` },
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Dependencies are bundled too (few files to load: startup matters for a CLI), except ssh2,
    // whose optional native parts must be resolved at run time.
    external: ['ssh2', 'cpu-features'],
    plugins: [lazyRequires],
    banner: { js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    write: false,
    logLevel: 'warning',
  });
  // Each file is written aside and renamed into place (a CLI starting meanwhile never reads half a
  // file), chunks first (their names carry a content hash) and the entry last; then chunks no
  // longer referenced go.
  const entry = join(outdir, 'slipway.mjs');
  const files = [...result.outputFiles].sort((a, b) => Number(a.path === entry) - Number(b.path === entry));
  for (const f of files) {
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(`${f.path}.tmp`, f.contents);
    utimesSync(`${f.path}.tmp`, started, started);
    renameSync(`${f.path}.tmp`, f.path);
  }
  const chunks = join(outdir, 'chunks');
  const kept = new Set(files.map((f) => f.path));
  for (const name of readdirSync(chunks)) if (!kept.has(join(chunks, name))) rmSync(join(chunks, name), { force: true });
} catch (e) {
  console.warn(`slipway: could not prebuild the CLI (${e.message}); it will run from source through tsx`);
}
