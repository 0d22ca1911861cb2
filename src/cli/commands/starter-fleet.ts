// The fleet file `slipway init` writes when there is no compose file to import: one local server,
// the given environments (prod-like ones protected and deployed from tags), a shared Postgres and
// one web app. Names are already normalised and checked by the caller.
const PROD = new Set(['prod', 'production', 'live']);

export function starterFleet(opts: { project?: string; envs?: readonly string[] } = {}): string {
  const envs = opts.envs && opts.envs.length > 0 ? opts.envs : ['staging', 'prod'];
  const width = Math.max(...envs.map((e) => e.length)) + 1;
  const envLines = envs.map((e) => {
    const key = `${e}:`.padEnd(width);
    return PROD.has(e)
      ? `  ${key} { server: local, deploy: { tags: "v*" }, protected: true, domain: "{app}.localhost" }`
      : `  ${key} { server: local, deploy: { branch: main }, auth: basic, domain: "{app}-${e}.localhost" }`;
  });
  return `# slipway.yaml — see examples/reference/slipway.yaml for every key, annotated.
project: ${opts.project ?? 'myproject'}

servers:
  local: { local: true, memory: 4GiB, cpus: 2 }

environments:
${envLines.join('\n')}

services:
  postgres: { image: postgres:17, scope: environment }

apps:
  web:
    git: .
    uses: [postgres]
    release: ["npm run migrate"]
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 256MiB }
`;
}
