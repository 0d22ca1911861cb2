// Malformed fleet files and the exact diagnostics each must produce: severity, code,
// line:col, key path and message. Every problem in a file is reported at once.
import { describe, expect, it } from 'vitest';
import { loadFleet } from './load.ts';

interface Case {
  name: string;
  yaml: string;
  /** [severity code, "line:col", path, message] */
  expect: [string, string, string, string][];
}

const CASES: Case[] = [
  {
    name: 'unknown top-level key',
    yaml: `project: demo
projekt: x
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error unknown-key', '2:1', 'projekt', 'unknown key "projekt" at the top level']],
  },
  {
    name: 'unknown process key with did-you-mean',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { prot: 8000 }
`,
    expect: [['error unknown-key', '13:14', 'apps/api/processes/web/prot', 'unknown key "prot" in apps/api/processes/web']],
  },
  {
    name: 'port is a string',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: "eighty" }
`,
    expect: [['error bad-type', '13:20', 'apps/api/processes/web/port', 'expected a port number']],
  },
  {
    name: 'port out of range',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 70000 }
`,
    expect: [['error bad-value', '13:20', 'apps/api/processes/web/port', 'expected a port between 1 and 65535']],
  },
  {
    name: 'bad memory size',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, memory: lots }
`,
    expect: [['error bad-value', '13:34', 'apps/api/processes/web/memory', 'expected a size such as 512MiB, 2GiB or 1.5GB']],
  },
  {
    name: 'per-env memory with unknown env',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, memory: { prd: 1GiB, default: 512MiB } }
`,
    expect: [['error unknown-environment', '13:36', 'apps/api/processes/web/memory/prd', 'unknown environment "prd"']],
  },
  {
    name: 'uses an undefined service',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    uses: [postgress]
    processes:
      web: { port: 8000 }
`,
    expect: [['error unknown-reference', '12:12', 'apps/api/uses/0', 'unknown service "postgress"']],
  },
  {
    name: 'depends_on an undefined app',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    depends_on: [worker]
    processes:
      web: { port: 8000 }
`,
    expect: [['error unknown-reference', '12:18', 'apps/api/depends_on/0', 'unknown app "worker"']],
  },
  {
    name: 'environment on unknown server',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s2, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error unknown-reference', '5:22', 'environments/staging/server', 'unknown server "s2"']],
  },
  {
    name: 'invalid app name',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  Api_Server:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error invalid-name', '10:3', 'apps/Api_Server', 'invalid app name "Api_Server"']],
  },
  {
    name: 'invalid environment name',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  Staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error invalid-name', '5:3', 'environments/Staging', 'invalid environment name "Staging"']],
  },
  {
    name: 'invalid process name',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      Web_1: { port: 8000 }
`,
    expect: [['error invalid-name', '13:7', 'apps/api/processes/Web_1', 'invalid process name "Web_1"']],
  },
  {
    name: 'domain claimed twice',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    domains: { prod: shop.example.com }
    processes:
      web: { port: 8000 }
  shop:
    image: shop:1
    domains: { prod: shop.example.com }
    processes:
      web: { port: 3000 }
`,
    expect: [['warning duplicate-domain', '17:22', 'apps/shop/domains/prod', 'domain "shop.example.com" is claimed twice: by api in prod and by shop in prod']],
  },
  {
    name: 'domain pattern without {app} collides',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "www.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000 }
  shop:
    image: shop:1
    processes:
      web: { port: 3000 }
`,
    expect: [['warning duplicate-domain', '6:48', 'environments/prod/domain', 'domain "www.example.com" is claimed twice: by api in prod and by shop in prod']],
  },
  {
    name: 'app without source',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    processes:
      web: { port: 8000 }
`,
    expect: [['error missing-source', '11:5', 'apps/api', 'app "api" has no source']],
  },
  {
    name: 'app with two sources',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    git: .
    processes:
      web: { port: 8000 }
`,
    expect: [['error conflicting-keys', '11:12', 'apps/api/image', 'app "api" sets "git" and "image"']],
  },
  {
    name: 'app without processes',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
`,
    expect: [['error missing-key', '11:5', 'apps/api', 'app "api" has no processes']],
  },
  {
    name: 'bad proxy enum',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB, proxy: traefik }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error bad-value', '3:43', 'servers/s1/proxy', 'expected one of "caddy", "nginx", got "traefik"']],
  },
  {
    name: 'server without transport',
    yaml: `project: demo
servers:
  s1: { memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error missing-transport', '3:7', 'servers/s1', 'server "s1" says neither "local: true" nor "ssh: user@host"']],
  },
  {
    name: 'bad ssh target',
    yaml: `project: demo
servers:
  s1: { ssh: "root@@host" }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error bad-value', '3:14', 'servers/s1/ssh', 'expected user@host or user@host:port']],
  },
  {
    name: 'missing environments',
    yaml: `project: demo
servers:
  s1: { local: true }
`,
    expect: [['error missing-key', '1:1', 'environments', 'the fleet needs at least one environment']],
  },
  {
    name: 'environment without server',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error missing-key', '5:12', 'environments/staging/server', 'every environment needs a server']],
  },
  {
    name: 'bad deploy policy',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, deploy: { tag: "v*" }, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error bad-type', '6:31', 'environments/prod/deploy', 'expected { branch: NAME }, { tags: "v*" } or "any"']],
  },
  {
    name: 'health path without slash',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: health }
`,
    expect: [['error bad-value', '13:34', 'apps/api/processes/web/health', 'expected an HTTP path starting with "/"']],
  },
  {
    name: 'health without port',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      worker: { command: "celery worker", health: /health }
`,
    expect: [['error health-without-port', '13:51', 'apps/api/processes/worker/health', 'process "worker" has an HTTP health check but no port']],
  },
  {
    name: 'unknown interpolation reference',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    env: { HELIOS_URL: "http://\${helios.web}:3000" }
    processes:
      web: { port: 8000 }
`,
    expect: [['error unknown-reference', '12:24', 'apps/api/env/HELIOS_URL', 'unknown reference ${helios.web} in HELIOS_URL']],
  },
  {
    name: 'replicas not an integer',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, replicas: 1.5 }
`,
    expect: [['error bad-type', '13:36', 'apps/api/processes/web/replicas', 'expected a whole number of replicas']],
  },
  {
    name: 'yaml syntax error',
    yaml: `project: demo
servers:
  s1: { local: true
environments: {}
`,
    expect: [['error yaml-syntax', '4:1', '', 'Flow map in block collection must be sufficiently indented and end with a }']],
  },
  {
    name: 'duplicate key',
    yaml: `project: demo
project: other
servers:
  s1: { local: true }
`,
    expect: [['error duplicate-key', '2:1', '', 'Map keys must be unique']],
  },
  {
    name: 'env value is a list',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    env: { ALLOWED_HOSTS: [a, b] }
    processes:
      web: { port: 8000 }
`,
    expect: [['error bad-type', '12:27', 'apps/api/env/ALLOWED_HOSTS', 'expected a string, a { secret: NAME } reference, or a map of environment → value']],
  },
  {
    name: 'service scope typo',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17, scope: servr }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: /health }
`,
    expect: [['error bad-value', '8:42', 'services/postgres/scope', 'expected one of "server", "environment", got "servr"']],
  },
  {
    name: 'secret ref with extra key',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    env: { KEY: { secret: k, default: x } }
    processes:
      web: { port: 8000 }
`,
    expect: [['error bad-value', '12:39', 'apps/api/env/KEY/default', 'a secret reference takes only "secret", not "default"']],
  },
  {
    name: 'unterminated quote in command',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, command: "gunicorn 'app" }
`,
    expect: [['error bad-command', '13:35', 'apps/api/processes/web/command', "unterminated ' quote in command: gunicorn 'app"]],
  },
  {
    name: 'several problems at once',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    uses: [mysql]
    processes:
      web: { prot: 8000, memory: huge }
`,
    expect: [
      ['error unknown-reference', '12:12', 'apps/api/uses/0', 'unknown service "mysql"'],
      ['error unknown-key', '14:14', 'apps/api/processes/web/prot', 'unknown key "prot" in apps/api/processes/web'],
      ['error bad-value', '14:34', 'apps/api/processes/web/memory', 'expected a size such as 512MiB, 2GiB or 1.5GB'],
    ],
  },
  {
    name: 'bad health interval',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    processes:
      web: { port: 8000, health: { path: /health, interval: soon } }
`,
    expect: [['error bad-value', '13:61', 'apps/api/processes/web/health/interval', 'expected a duration such as 500ms, 5s or 1m30s']],
  },
  {
    name: 'placement on unknown server',
    yaml: `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
apps:
  api:
    image: api:1
    placement: { prod: vps9 }
    processes:
      web: { port: 8000 }
`,
    expect: [['error unknown-reference', '12:24', 'apps/api/placement/prod', 'unknown server "vps9"']],
  },
];

describe('malformed fleet files', () => {
  it('has at least 25 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(25));
  for (const c of CASES) {
    it(c.name, () => {
      const res = loadFleet('slipway.yaml', { text: c.yaml });
      const got = res.diagnostics.map((d) => [`${d.severity} ${d.code}`, `${d.pos?.line}:${d.pos?.col}`, d.path, d.message]);
      expect(got).toEqual(c.expect);
      if (c.expect.some((e) => e[0].startsWith('error'))) expect(res.fleet).toBeUndefined();
      for (const d of res.diagnostics) expect(d.pos?.file).toBe('slipway.yaml');
    });
  }
});
