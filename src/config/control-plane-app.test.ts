// The control plane as the fleet's `slipway` app: present exactly when control_plane: names a
// server, an environment and a domain; placed there with its image, port, health route, data
// volume, Docker socket and environment; a fleet app of the same name is refused.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTROL_PLANE_IMAGE, SLIPWAY_VERSION } from './control-plane-app.ts';
import { loadFleet } from './load.ts';

const fleet = (section: string, apps = '') => `project: acme
servers:
  s1: { ssh: root@203.0.113.7, memory: 4GiB }
  s2: { local: true, socket: /run/user/1000/docker.sock }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s2, domain: "{app}.example.com", deploy: { tags: "v*" } }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { port: 80, health: /, memory: 64MiB }
${apps}${section}`;

const load = (text: string) => loadFleet('/x/slipway.yaml', { text });

describe('the control plane app', () => {
  it('is not there without server and env', () => {
    const r = load(fleet('control_plane:\n  domain: deploy.example.com\n'));
    expect(r.fleet?.apps.map((a) => a.name)).toEqual(['web']);
  });

  it('runs in the environment on the server, behind the proxy on its domain, with its data and the Docker socket', () => {
    const r = load(fleet('control_plane:\n  domain: deploy.example.com\n  server: s1\n  env: staging\n'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const app = r.fleet!.apps.find((a) => a.name === 'slipway')!;
    expect(app.source).toEqual({ kind: 'image', image: 'slipway/serve:v0.1.0' });
    expect(app.environments).toEqual(['staging']);
    expect(app.volumes).toEqual(['data']);
    const env = app.perEnv.staging!;
    expect(env.server).toBe('s1');
    expect(env.domains).toEqual(['deploy.example.com']);
    expect(env.env_vars).toEqual({
      SLIPWAY_FILE: { kind: 'plain', value: '/data/fleet/slipway.yaml' },
      SLIPWAY_LOCAL_SERVER: { kind: 'plain', value: 's1' },
    });
    expect(env.processes).toHaveLength(1);
    expect(env.processes[0]).toMatchObject({
      name: 'web',
      port: 7780,
      health: { path: '/api/health' },
      replicas: 1,
      singleton: false,
      volumes: { data: '/data' },
      binds: [{ source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: false }],
    });
  });

  it("binds a local server's own socket", () => {
    const r = load(fleet('control_plane:\n  domain: deploy.example.com\n  server: s2\n  env: prod\n'));
    const p = r.fleet!.apps.find((a) => a.name === 'slipway')!.perEnv.prod!.processes[0]!;
    expect(p.binds).toEqual([{ source: '/run/user/1000/docker.sock', target: '/var/run/docker.sock', readOnly: false }]);
  });

  it('refuses a fleet app named slipway when the control plane runs as one', () => {
    const r = load(
      fleet(
        'control_plane:\n  domain: deploy.example.com\n  server: s1\n  env: staging\n',
        '  slipway:\n    image: acme/slipway:v1\n    processes:\n      web: { port: 80 }\n',
      ),
    );
    expect(r.fleet).toBeUndefined();
    expect(r.diagnostics.find((d) => d.code === 'control-plane-app-name')).toMatchObject({ path: 'apps/slipway', hint: expect.stringContaining('rename') });
  });

  it("says when an app has the control plane's domain (as for any two apps: check refuses it)", () => {
    const r = load(fleet('control_plane:\n  domain: web-staging.example.com\n  server: s1\n  env: staging\n'));
    expect(r.diagnostics.find((d) => d.code === 'duplicate-domain')?.message).toBe(
      'domain "web-staging.example.com" is claimed twice: by web in staging and by slipway in staging',
    );
  });

  it("is tagged with the package's version", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SLIPWAY_VERSION).toBe(pkg.version);
    expect(CONTROL_PLANE_IMAGE).toBe(`slipway/serve:v${pkg.version}`);
  });
});
