// x-slipway on a compose service: `web: true|false` overrides the route choice, `domains:` gives
// the service its own domains per environment; unknown keys are errors with a position.
import { describe, expect, it } from 'vitest';
import { readCompose } from './read.ts';
import { chooseRoute } from './routing.ts';
import { composeToProcesses } from './processes.ts';

const read = (text: string) => readCompose('/repo/docker-compose.yml', text, { readFile: () => undefined });

describe('x-slipway', () => {
  it.each([
    ['web: true wins over the heuristics', 'nginx: { image: nginx, ports: ["80:80"] }\n  api: { image: a, expose: [8000], x-slipway: { web: true } }', 'api'],
    ['web: false is never routed', 'nginx: { image: nginx, ports: ["80:80"], x-slipway: { web: false } }\n  app: { image: a, ports: ["8000:8000"] }', 'app'],
  ])('%s', (_what, services, expected) => {
    const r = read(`services:\n  ${services}\n`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(chooseRoute(r.compose!.services).web?.service).toBe(expected);
  });

  it('marks exactly the chosen process as web, gives it a port taken from its health check, and reads x-slipway domains', () => {
    const r = read(
      'services:\n  netbox: { image: netbox, healthcheck: { test: "curl -f http://localhost:8080/login/" } }\n  api:\n    image: b\n    expose: [8000]\n    x-slipway: { domains: { prod: "api.{app}.example.com", default: "api-{env}.{app}.example.com" } }\n  db: { image: postgres:17 }\n',
    );
    const ctx = { project: 'p', app: 'shop', fleetDir: '/repo' };
    const prod = composeToProcesses(r.compose!, { ...ctx, env: 'prod' }).processes;
    expect(prod.map((p) => [p.name, p.web, p.port])).toEqual([
      ['netbox', true, 8080],
      ['api', false, 8000],
      ['db', false, undefined],
    ]);
    expect(prod[1]!.domains).toEqual(['api.shop.example.com']);
    expect(composeToProcesses(r.compose!, { ...ctx, env: 'staging' }).processes[1]!.domains).toEqual(['api-staging.shop.example.com']);
  });

  it('refuses unknown keys and bad domains with their position', () => {
    const r = read('services:\n  a:\n    image: x\n    x-slipway: { port: 80, domains: { prod: { a: b } } }\n');
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path, d.pos?.line])).toEqual([
      ['unknown-key', 'services/a/x-slipway/port', 4],
      ['bad-type', 'services/a/x-slipway/domains/prod', 4],
    ]);
  });
});
