// Layer rules (docs/architecture.md): the pure folders never reach for I/O, workflows never
// reach for the CLI, and nothing imports in a circle. `npm run lint` fails on any violation.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'pure-layers-do-no-io',
      comment: 'config/, plan/, render/, model/, diag/, util/, backup/ and secrets/ are pure: no engine, workflow, CLI or server code.',
      severity: 'error',
      from: { path: '^src/(config|plan|render|model|diag|util|backup|secrets)/' },
      to: { path: '^src/(engine|workflows|cli|server|web)/' },
    },
    {
      name: 'workflows-need-no-cli',
      comment: 'Workflows are called by the CLI and by the HTTP server alike; they never import either.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { path: '^src/(cli|server|web)/' },
    },
    {
      name: 'server-needs-no-cli',
      comment: 'The HTTP server is the second front door beside the CLI: both call workflows, neither imports the other.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'engine-is-a-port',
      comment: 'Engine adapters know nothing of plans, workflows or the CLI.',
      severity: 'error',
      from: { path: '^src/engine/' },
      to: { path: '^src/(plan|workflows|cli|server|render)/' },
    },
    {
      name: 'dns-is-a-port',
      comment: 'DNS providers (src/dns/) do I/O like engine/: they know fleet types, util/ and diag/, never plans, workflows or the CLI; pure layers never call them.',
      severity: 'error',
      from: { path: '^src/dns/' },
      to: { path: '^src/(plan|workflows|cli|server|web|render|engine|model|backup|secrets)/' },
    },
    {
      name: 'pure-layers-do-no-dns',
      severity: 'error',
      from: { path: '^src/(config|plan|render|model|diag|util|backup|secrets)/' },
      to: { path: '^src/dns/' },
    },
    {
      name: 'config-does-not-know-plan',
      comment: 'Loading the fleet file comes before desire; it never imports plan/.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/plan/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '(^test/|\\.test\\.ts$)' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
