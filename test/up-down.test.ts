// On the real engine, through the real CLI: an environment removed from the fleet file is removed
// from its server by `up` (its containers, every release, and its networks), its data volume and
// database kept until `up --destroy-data`, while prod's keep-alive clients see no failed request
// (the proxy was created on Docker's default bridge, not on beta's edge network — the first of
// its networks by name — so Docker never rebinds the published port); `plan --json` is what `up` applies; `down ENV --yes`
// removes an environment the fleet still has, and refuses without --yes when there is no terminal.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Docker from 'dockerode';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipway, slipwayOk } from './support/cli.ts';
import { get } from './support/http.ts';
import { summary, underLoad } from './support/zd-load.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';

let p: TestProject;
let port: number;
const docker = new Docker();

function fleet(envs: string[]): string {
  const env = (name: string) => `  ${name}: { server: local, deploy: any, domain: "{app}-${name}.localhost", tls: "off" }`;
  return `project: ${p.project}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${port} }
environments:
${envs.map(env).join('\n')}
services:
  postgres: { image: postgres:15, scope: server, memory: 256MiB }
apps:
  web:
    image: nginx:1.27
    uses: [postgres]
    volumes: { media: /srv/media }
    processes:
      web: { port: 80, health: /, memory: 64MiB }
`;
}

const labelled = async (kind: 'containers' | 'networks' | 'volumes', extra: string[] = []) => {
  const filters = { label: [`slipway.project=${p.project}`, ...extra] };
  if (kind === 'containers') return (await docker.listContainers({ all: true, filters })).map((c) => c.Names[0]!.slice(1)).sort();
  if (kind === 'networks') return (await docker.listNetworks({ filters })).map((n) => n.Name).sort();
  return ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name).sort();
};

/** Rows of a query run by the superuser in the project's Postgres. */
const psql = (sql: string): string =>
  execFileSync('docker', ['exec', '-u', 'postgres', `${p.project}-postgres`, 'psql', '-X', '-tA', '-d', 'postgres', '-c', sql], { encoding: 'utf8' }).trim();

interface Plan {
  actions: { kind: string; type: string; id: string; target?: string; destructive?: boolean }[];
  kept: { type: string; id: string; reason: string }[];
}

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['caddy', 'postgres15', 'nginx']);
  p = makeProject('updown');
  port = await freePort();
  p.writeFleet(fleet(['beta', 'prod']));
  await slipwayOk(['up'], { cwd: p.dir });
  await slipwayOk(['deploy', 'web', 'beta', '--drain', '0'], { cwd: p.dir });
  await slipwayOk(['deploy', 'web', 'beta', '--drain', '0'], { cwd: p.dir });
  await slipwayOk(['deploy', 'web', 'prod', '--drain', '0'], { cwd: p.dir });
}, 600_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

describe('up and down on the local engine', () => {
  it('an environment removed from the fleet file: up removes its containers and networks, and keeps its data', async () => {
    // Two beta releases: the live one and the stopped one kept for rollback.
    expect(await labelled('containers', ['slipway.env=beta', 'slipway.role=app'])).toHaveLength(2);
    p.writeFleet(fleet(['prod']));
    const plan = JSON.parse((await slipwayOk(['plan', '--json'], { cwd: p.dir })).stdout) as Plan;
    expect(plan.actions.filter((a) => a.kind === 'delete').map((a) => `${a.type} ${a.target ?? a.id}`)).toEqual([
      'route web-beta.localhost',
      ...(await labelled('containers', ['slipway.env=beta', 'slipway.role=app'])).map((n) => `container ${n}`),
      `network ${p.project}-beta`,
      `network ${p.project}-beta-edge`,
    ]);
    expect(plan.kept.map((k) => `${k.type} ${k.id}`)).toEqual(['database service/postgres/web_beta', `volume ${p.project}-beta-web-media`]);

    const proxy = (await docker.listContainers({ filters: { label: [`slipway.project=${p.project}`, 'slipway.role=proxy'] } }))[0]!;
    expect(Object.keys(proxy.NetworkSettings.Networks).sort()).toEqual(['bridge', `${p.project}-beta-edge`, `${p.project}-prod-edge`]);
    // Under keep-alive load on prod: the proxy leaves beta's edge network and reloads.
    const { result, report } = await underLoad(port, 'web-prod.localhost', 10, () => slipwayOk(['up', '--json'], { cwd: p.dir }), { retryIdleClose: true });
    const line = summary('prod while up removes beta', report);
    console.log(line);
    expect(report.ok2xx, line).toBeGreaterThan(0);
    expect([report.non2xx, report.readErrors, report.connectErrors, report.timeouts], line).toEqual([{}, 0, 0, 0]);
    const up = JSON.parse(result.stdout) as { servers: { plan: Plan; applied: Plan['actions'] }[] };
    expect(up.servers[0]!.plan).toEqual(plan);
    expect(up.servers[0]!.applied.map(({ outcome: _, ...a }: Plan['actions'][number] & { outcome?: string }) => a)).toEqual(plan.actions);

    expect(await labelled('containers', ['slipway.env=beta'])).toEqual([]);
    expect(await labelled('networks', ['slipway.env=beta'])).toEqual([]);
    expect(await labelled('volumes', ['slipway.env=beta'])).toEqual([`${p.project}-beta-web-media`]);
    expect(psql("SELECT datname FROM pg_database WHERE datname = 'web_beta'")).toBe('web_beta');
    // prod still serves through the proxy.
    expect((await get(port, 'web-prod.localhost', '/')).status).toBe(200);
    expect((await get(port, 'web-beta.localhost', '/')).status).not.toBe(200);
  });

  it('up --destroy-data then deletes the data volume and drops the database and its user', async () => {
    const plan = JSON.parse((await slipwayOk(['plan', '--json', '--destroy-data'], { cwd: p.dir })).stdout) as Plan;
    expect(plan.actions.map((a) => `${a.kind} ${a.type} ${a.id} ${a.destructive}`)).toEqual([
      'delete database service/postgres/web_beta true',
      `delete volume ${p.project}-beta-web-media true`,
    ]);
    await slipwayOk(['up', '--destroy-data'], { cwd: p.dir });
    expect(await labelled('volumes', ['slipway.env=beta'])).toEqual([]);
    expect(psql("SELECT count(*) FROM pg_database WHERE datname = 'web_beta'")).toBe('0');
    expect(psql("SELECT count(*) FROM pg_roles WHERE rolname = 'web_beta'")).toBe('0');
    expect(psql("SELECT datname FROM pg_database WHERE datname = 'web_prod'")).toBe('web_prod');
  });

  it('down ENV refuses without --yes when stdin is not a terminal, then removes it with --yes, keeping its data', async () => {
    const refused = await slipway(['down', 'prod'], { cwd: p.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to remove environment prod without confirmation/);
    expect(await labelled('containers', ['slipway.env=prod', 'slipway.role=app'])).toHaveLength(1);

    const out = await slipwayOk(['down', 'prod', '--yes'], { cwd: p.dir });
    expect(out.stdout).toMatch(/local: \d+ actions applied/);
    // prod was the last environment: its containers, the proxy and the shared Postgres go; every
    // volume stays (the state volume too).
    expect(await labelled('containers', ['slipway.role=app'])).toEqual([]);
    expect(await labelled('containers', ['slipway.role=service'])).toEqual([]);
    expect(await labelled('containers', ['slipway.role=proxy'])).toEqual([]);
    expect(await labelled('networks')).toEqual([]);
    expect(await labelled('volumes')).toEqual(
      [`${p.project}-postgres-data`, `${p.project}-prod-web-media`, `${p.project}-proxy-data`, `${p.project}-slipway-state`].sort(),
    );
    // prod is still in the fleet: up brings it back, with its database where it was.
    await slipwayOk(['up'], { cwd: p.dir });
    expect(psql("SELECT datname FROM pg_database WHERE datname = 'web_prod'")).toBe('web_prod');
  });
});
