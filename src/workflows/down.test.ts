// `down` against FakeEngines: an environment's containers (every release), networks and routes
// go, its data stays (listed as kept) unless --destroy-data, other environments keep running and
// shared services only leave its network; `up` brings it back. Through the CLI in process (no
// terminal: --yes is required) and through the workflow, as the HTTP server will call it.
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith } from '../../test/support/fake-session.ts';
import { infraFleet, infraWorld } from '../../test/support/infra-world.ts';
import type { FakeEngine } from '../engine/fake-engine.ts';
import type { Action, Plan } from '../plan/diff/plan.ts';
import { readAudit } from './audit.ts';
import { applyDown, planDown } from './down.ts';
import { loadRedisAcls } from './redis-acl.ts';

const ofEnv = (f: FakeEngine, env: string, role?: string) =>
  [...f.containers.values()].filter((c) => c.spec.labels['slipway.env'] === env && (!role || c.spec.labels['slipway.role'] === role));

async function deployedWorld() {
  const w = await infraWorld();
  const cli = await cliOn(w, infraFleet(['staging', 'prod']));
  expect((await cli(['up'])).code).toBe(0);
  await deployWith(w, 'web', 'staging');
  await deployWith(w, 'web', 'staging');
  await deployWith(w, 'web', 'prod');
  return { w, f: w.engine('s1'), cli };
}

interface DownJson {
  ok: boolean;
  plan: Plan;
  servers: { server: string; plan: Plan; applied: (Action & { outcome: string })[] }[];
}

describe('down (FakeEngine)', () => {
  it('down ENV --yes: its containers, networks and routes go, its data is kept; prod and the shared services stay up', async () => {
    const { w, f, cli } = await deployedWorld();
    const staging = ofEnv(f, 'staging', 'app').map((c) => c.name);
    expect(staging).toHaveLength(4); // two releases: the running one and the stopped one kept for rollback
    const pg = f.find('acme-postgres')!.id;
    const prod = ofEnv(f, 'prod', 'app').map((c) => c.id);

    const r = await cli(['down', 'staging', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as DownJson;
    expect(out.ok).toBe(true);
    // The plan shown is the plan applied, action by action.
    expect(out.servers.map((s) => s.server)).toEqual(['s1']);
    expect(out.servers[0]!.applied.map(({ outcome: _, ...a }) => a)).toEqual(out.plan.actions);
    expect(out.plan.actions.map((a) => `${a.kind} ${a.type} ${a.target ?? a.id}`)).toEqual([
      'update redis-acl service/redis',
      'delete route web-staging.localhost',
      'update proxy-config caddy',
      ...staging.sort().map((n) => `delete container ${n}`),
      'delete network acme-staging',
      'delete network acme-staging-edge',
    ]);
    expect(out.plan.kept.map((k) => `${k.type} ${k.id}`)).toEqual([
      'database service/postgres/web_staging',
      'redis-db service/redis/db0',
      'volume acme-staging-web-media',
    ]);

    expect(ofEnv(f, 'staging')).toEqual([]);
    expect([...f.networks.keys()].filter((n) => n.includes('staging'))).toEqual([]);
    expect(f.volumes.has('acme-staging-web-media')).toBe(true);
    // The shared Postgres only left staging's network (not restarted); prod runs on.
    expect(f.find('acme-postgres')!.id).toBe(pg);
    expect([...f.find('acme-postgres')!.networks.keys()]).toEqual(['acme-prod']);
    // staging's Redis ACL user went with it, prod's stays.
    expect((await loadRedisAcls(w.run('s1'))).map((a) => [a.instance, a.users])).toEqual([['service/redis', ['web.prod']]]);
    expect(
      ofEnv(f, 'prod', 'app')
        .filter((c) => c.state === 'running')
        .map((c) => c.id),
    ).toEqual(prod);
    expect(f.readFile('acme-proxy', '/etc/caddy/caddy.json')).not.toContain('web-staging.localhost');
    // Under staging's lock, audited.
    expect(f.calls('createContainer').map((a) => (a[0] as { name: string }).name)).toContain('acme-lock-staging');
    expect((await readAudit(w.run('s1').store)).filter((e) => e.action === 'down').map((e) => [e.env, e.outcome])).toEqual([
      ['staging', 'started'],
      ['staging', 'ok'],
    ]);

    // staging is still in the fleet: up brings its infrastructure back, shared services rejoin its
    // network without a restart, and the same Redis DB and database come back with it.
    const plan = JSON.parse((await cli(['plan', '--json'])).stdout) as Plan;
    expect(plan.actions.map((a) => `${a.kind} ${a.type} ${a.id}`)).toEqual([
      'create network acme-staging',
      'create network acme-staging-edge',
      'update container service/postgres',
      'update container service/redis',
      'update redis-acl service/redis',
      'update container proxy',
      'create route web-staging.localhost',
      'update proxy-config caddy',
    ]);
    expect((await cli(['up'])).code).toBe(0);
    expect(f.find('acme-postgres')!.id).toBe(pg);
    expect([...f.find('acme-postgres')!.networks.keys()].sort()).toEqual(['acme-prod', 'acme-staging']);
    const again = await deployWith(w, 'web', 'staging');
    expect(
      ofEnv(f, 'staging', 'app')
        .filter((c) => c.state === 'running')
        .map((c) => c.name),
    ).toEqual([`acme-web-staging-web-0-${again.release}`, `acme-web-staging-worker-0-${again.release}`]);
  });

  it('after down, a deploy of the environment brings its infrastructure back by itself', async () => {
    const { w, f, cli } = await deployedWorld();
    expect((await cli(['down', 'staging', '--yes'])).code).toBe(0);
    const r = await deployWith(w, 'web', 'staging');
    expect(ofEnv(f, 'staging', 'app').map((c) => `${c.name} ${c.state}`)).toEqual([
      `acme-web-staging-web-0-${r.release} running`,
      `acme-web-staging-worker-0-${r.release} running`,
    ]);
    expect(f.readFile('acme-proxy', '/etc/caddy/caddy.json')).toContain('web-staging.localhost');
    const plan = JSON.parse((await cli(['plan', '--json'])).stdout) as Plan;
    expect(plan).toMatchObject({ actions: [], deploy: [] });
  });

  it('without a terminal, down refuses without --yes, and changes nothing', async () => {
    const { f, cli } = await deployedWorld();
    f.clearTranscript();
    const r = await cli(['down', 'staging']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('- delete  network      acme-staging');
    expect(r.stderr).toMatch(/refusing to remove environment staging without confirmation: standard input is not a terminal/);
    expect(r.stderr).toMatch(/add --yes/);
    expect(f.ops('removeContainer', 'removeNetwork', 'removeVolume', 'createContainer')).toEqual([]);
  });

  it('down --all --destroy-data: everything of the project goes, data included; its state stays', async () => {
    const { f, cli } = await deployedWorld();
    f.clearTranscript();
    const r = await cli(['down', '--all', '--destroy-data', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/s1: \d+ actions applied/);
    expect(r.stdout).toContain('- volume acme-staging-web-media: deleted with its data [destructive]');
    expect([...f.containers.values()].map((c) => c.name)).toEqual(['acme-slipway-state']);
    expect([...f.networks.keys()]).toEqual([]);
    expect([...f.volumes.keys()]).toEqual(['acme-slipway-state']);
    // Databases dropped (psql on the instance, before it went), Redis DBs flushed.
    const execs = f.calls('exec').map((a) => `${a[0]} ${(a[1] as string[]).join(' ')}`);
    expect(execs.filter((e) => !e.includes('pg_isready'))).toEqual([
      'acme-postgres psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres',
      'acme-postgres psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres',
      'acme-redis redis-cli --user slipway-admin -n 0 FLUSHDB',
      'acme-redis redis-cli --user slipway-admin -n 1 FLUSHDB',
    ]);
    const plan = JSON.parse((await cli(['plan', '--json'])).stdout) as Plan;
    expect(plan.kept).toEqual([]);
    expect(plan.actions.every((a) => a.kind === 'create' || a.type === 'proxy-config')).toBe(true);
    expect((await cli(['down', '--all', '--yes'])).stdout).toBe('Nothing to remove for every environment of acme.\n');
  });

  it('an unknown environment is refused with a suggestion', async () => {
    const { cli } = await deployedWorld();
    const r = await cli(['down', 'stagin', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown environment "stagin"/);
    expect(r.stderr).toMatch(/did you mean "staging"\?/);
  });

  it('applies nothing when what runs changed after the plan was shown', async () => {
    const { w, f } = await deployedWorld();
    const shown = await planDown(w.session, { envs: ['staging'], all: false, destroyData: false });
    // Someone deploys staging again in between.
    await deployWith(w, 'web', 'staging');
    f.clearTranscript();
    const r = await applyDown(w.session, shown, { lockWaitS: 0 });
    expect(r.results).toEqual([]);
    expect(r.failures).toEqual([expect.objectContaining({ server: 's1', error: expect.stringMatching(/changed since the plan was shown.*nothing was done/) })]);
    expect(f.ops('removeNetwork')).toEqual([]);
    expect(ofEnv(f, 'staging', 'app').filter((c) => c.state === 'running')).toHaveLength(2);
  });
});
