// The fleet file `slipway init` writes when there is no compose file to import.
export const STARTER_FLEET = `# slipway.yaml — see examples/reference/slipway.yaml for every key, annotated.
project: myproject

servers:
  local: { local: true, memory: 4GiB, cpus: 2 }

environments:
  staging: { server: local, deploy: { branch: main }, auth: basic, domain: "{app}-staging.localhost" }
  prod:    { server: local, deploy: { tags: "v*" }, protected: true, domain: "{app}.localhost" }

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
