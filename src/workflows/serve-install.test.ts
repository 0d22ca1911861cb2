// serve install's pure parts: what desire makes of the control plane app (its container, data
// volume, Docker socket, route; replaced start-first, so an upgrade has no downtime), the image's
// build context (entry, bundle, ssh2 for the other servers), the files copied into the data volume
// (fleet file, secrets folder, compose files; nothing from outside the fleet's folder) and the URL.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import { desire } from '../plan/desire/desire.ts';
import { fleetEntries, imageContext, loadFleetForInstall, urlOf } from './serve-install.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'slipway-serve-install-'));
  dirs.push(d);
  return d;
};

const FLEET = (tls: string) => `project: acme
servers:
  s1: { ssh: root@203.0.113.7, memory: 4GiB, https_port: 8443 }
environments:
  ops: { server: s1, tls: ${tls} }
control_plane: { domain: deploy.example.com, server: s1, env: ops }
`;

describe('the control plane in desired state', () => {
  const fleet = loadFleet('/x/slipway.yaml', { text: FLEET('internal') }).fleet!;
  const d = desire(fleet);
  const server = d.servers.find((s) => s.server === 's1')!;
  const c = server.containers.find((x) => x.app === 'slipway')!;

  it('is one container of the image with the data volume, the Docker socket and its environment', () => {
    expect(c).toMatchObject({ image: 'slipway/serve:v0.1.0', env: 'ops', process: 'web', port: 7780, restart: 'unless-stopped' });
    expect(c.mounts).toEqual({ 'acme-ops-slipway-data': '/data' });
    expect(c.binds).toEqual([{ source: '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: false }]);
    expect(c.env_vars).toMatchObject({
      SLIPWAY_FILE: { kind: 'plain', value: '/data/fleet/slipway.yaml' },
      SLIPWAY_LOCAL_SERVER: { kind: 'plain', value: 's1' },
    });
    expect(c.health?.path).toBe('/api/health');
    expect(server.volumes.map((v) => v.name)).toContain('acme-ops-slipway-data');
  });

  it('is replaced start-first (not stateful, not a singleton): an upgrade keeps serving', () => {
    expect(c.stateful).toBeUndefined();
    expect(c.singleton).toBe(false);
  });

  it("is routed by the environment's proxy on its domain with the environment's TLS", () => {
    const route = server.routes.find((r) => r.host === 'deploy.example.com')!;
    expect(route).toMatchObject({ app: 'slipway', env: 'ops' });
    expect(route.tls.mode).toBe('internal');
  });

  it('has its URL on HTTPS through the proxy, or plain HTTP when the environment has no TLS', () => {
    expect(urlOf(fleet, 's1', 'ops', 'deploy.example.com')).toBe('https://deploy.example.com:8443/');
    const off = loadFleet('/x/slipway.yaml', { text: FLEET('"off"') }).fleet!;
    expect(urlOf(off, 's1', 'ops', 'deploy.example.com')).toBe('http://deploy.example.com/');
  });
});

describe("the serve image's build context", () => {
  it('holds the Dockerfile, the entry that runs the bundle, the bundle and ssh2 with its dependencies', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'slipway.cjs'), 'exports.main = async () => 0;\n');
    const ctx = imageContext(join(dir, 'slipway.cjs'));
    const dockerfile = String(ctx.entries.find((e) => e.path === 'Dockerfile')!.content);
    expect(dockerfile).toContain('FROM node:20-slim\n');
    expect(dockerfile).toContain('ENTRYPOINT ["node", "/opt/slipway/slipway.js"]');
    expect(dockerfile).toContain('CMD ["serve","--host","0.0.0.0","--port","7780","--data","/data/serve"]');
    expect(dockerfile).toContain(`serve.slipway.bundle=${ctx.digest}`);
    const paths = ctx.entries.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining(['app/slipway.cjs', 'app/slipway.js', 'app/node_modules/ssh2/package.json', 'app/node_modules/asn1/package.json']),
    );
    expect(paths.some((p) => p.startsWith('app/node_modules/ssh2/test/'))).toBe(false);
    expect(ctx.ssh).toBe(true);
    // The same bundle, the same digest (the server's image is then not rebuilt); another bundle, another.
    expect(imageContext(join(dir, 'slipway.cjs')).digest).toBe(ctx.digest);
    writeFileSync(join(dir, 'slipway.cjs'), 'exports.main = async () => 1;\n');
    expect(imageContext(join(dir, 'slipway.cjs')).digest).not.toBe(ctx.digest);
  });

  it('says how to get a bundle when there is none', () => {
    expect(() => imageContext('/nonexistent/slipway.cjs')).toThrow(/no CLI bundle at \/nonexistent\/slipway.cjs/);
  });
});

describe('the files copied into the data volume', () => {
  it('are the fleet file as slipway.yaml, its secrets folder and the compose and env files it reads, nothing from outside', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'secrets'));
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'secrets', 'ops.age'), 'age-encrypted');
    writeFileSync(join(dir, 'app', 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.27\n    ports: ["80"]\n');
    writeFileSync(join(dir, 'app', '.env'), 'A=1\n');
    writeFileSync(join(dir, 'other.txt'), 'not read');
    writeFileSync(join(dir, 'fleet.yaml'), `${FLEET('internal')}apps:\n  site:\n    compose: app/compose.yaml\n`);
    const { load, files } = loadFleetForInstall(join(dir, 'fleet.yaml'));
    expect(load.fleet, JSON.stringify(load.diagnostics)).toBeDefined();
    expect(files.sort()).toEqual([join(dir, 'app', '.env'), join(dir, 'app', 'compose.yaml')]);
    const entries = fleetEntries(join(dir, 'fleet.yaml'), 'secrets', [...files, '/etc/hostname']);
    expect(entries.map((e) => e.path)).toEqual([
      'data',
      'data/fleet',
      'data/fleet/slipway.yaml',
      'data/fleet/app/.env',
      'data/fleet/app/compose.yaml',
      'data/fleet/secrets/ops.age',
    ]);
    expect(entries.find((e) => e.path === 'data/fleet/slipway.yaml')).toMatchObject({ mode: 0o600 });
  });
});
