// Several processes with domains (seed 003 serves `app.` and `api.` from two services): the app's
// domains go to its web process, a process's own `domains:` to that process, from the fleet file
// or from `x-slipway` in the compose file; `web: true` moves the app's domains; check covers each.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../config/load.ts';
import { check } from '../check/check.ts';
import { desire } from './desire.ts';

const dir = mkdtempSync(join(tmpdir(), 'slipway-process-domains-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'docker-compose.yml'),
  `services:
  app: { image: shop-app, ports: ["80:3000"], healthcheck: { test: "curl -f localhost:3000/health" } }
  api:
    image: shop-api
    ports: ["8000:8000"]
    x-slipway: { domains: { prod: "api.shop.example.com", default: "api-{env}.shop.example.com" } }
  admin: { image: shop-admin, expose: [9000] }
  db: { image: postgres:17, ports: ["5432:5432"] }
`,
);

function load(apps: string) {
  const text = `project: shop
servers: { local: { local: true } }
environments:
  staging: { server: local, domain: "{app}-staging.example.com" }
  prod: { server: local, domain: "{app}.example.com", protected: true }
apps:
${apps}`;
  const r = loadFleet(join(dir, 'slipway.yaml'), { text });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.fleet!;
}

const routesOf = (fleet: ReturnType<typeof load>) =>
  desire(fleet)
    .servers.flatMap((s) => s.routes)
    .map((r) => `${r.host} -> ${r.upstream}`)
    .sort();

describe('process domains', () => {
  it("routes the app's domain to the chosen web process and x-slipway domains to their process, never the database", () => {
    expect(routesOf(load('  shop: { compose: docker-compose.yml }\n'))).toEqual([
      'api-staging.shop.example.com -> shop-staging-api:8000',
      'api.shop.example.com -> shop-prod-api:8000',
      'shop-staging.example.com -> shop-staging-app:3000',
      'shop.example.com -> shop-prod-app:3000',
    ]);
  });

  it('takes domains: and web: true from the fleet file over the compose file', () => {
    const fleet = load(`  shop:
    compose: docker-compose.yml
    processes:
      admin: { web: true }
      app: { domains: { prod: www.shop.example.com, default: [] } }
`);
    expect(routesOf(fleet)).toEqual([
      'api-staging.shop.example.com -> shop-staging-api:8000',
      'api.shop.example.com -> shop-prod-api:8000',
      'shop-staging.example.com -> shop-staging-admin:9000',
      'shop.example.com -> shop-prod-admin:9000',
      'www.shop.example.com -> shop-prod-app:3000',
    ]);
  });

  it('asks for a health check on every routed process of a protected environment, not on the database', () => {
    const findings = check(load('  shop: { compose: docker-compose.yml }\n'), desire(load('  shop: { compose: docker-compose.yml }\n')));
    const subjects = findings.filter((f) => f.code === 'protected-web-without-health').map((f) => f.subject);
    expect(subjects).toEqual(['shop/prod/api']);
  });
});
