// `plan --json` then `up` against FakeEngines, through the CLI in process: up applies exactly the
// printed plan, action by action (the JSON plan, up's applied list and the engine transcript all
// agree); an environment removed from the fleet is removed by the next up, its data kept (and
// listed as kept) until --destroy-data; deploy's infrastructure step never deletes.
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith, fleetOf } from '../../test/support/fake-session.ts';
import { infraFleet as fleetText, infraWorld as world } from '../../test/support/infra-world.ts';
import type { FakeEngine } from '../engine/fake-engine.ts';
import type { Action, Plan } from '../plan/diff/plan.ts';
import { readAudit } from './audit.ts';
import { serverRun } from './server-run.ts';
import { desire } from '../plan/desire/desire.ts';
import { upServer } from './up.ts';

interface UpJson {
  ok: boolean;
  servers: { server: string; plan: Plan; applied: (Action & { outcome: string })[] }[];
}

const withoutOutcome = (applied: (Action & { outcome: string })[]): Action[] => applied.map(({ outcome: _, ...a }) => a);
/** Names given to one engine op, in order (the first argument's `name`, or the argument itself). */
const named = (f: FakeEngine, op: string): string[] => f.calls(op).map((a) => (typeof a[0] === 'string' ? a[0] : (a[0] as { name: string }).name));
const bookkeeping = (n: string) => n === 'acme-slipway-state' || n.startsWith('acme-lock-');

async function planThenUp(cli: Awaited<ReturnType<typeof cliOn>>, f: FakeEngine, flags: string[] = []): Promise<{ plan: Plan; up: UpJson }> {
  const p = await cli(['plan', '--json', ...flags]);
  expect(p.code, p.stderr).toBe(0);
  const plan = JSON.parse(p.stdout) as Plan;
  f.clearTranscript();
  const u = await cli(['up', '--json', ...flags]);
  expect(u.code, u.stderr + u.stdout).toBe(0);
  return { plan, up: JSON.parse(u.stdout) as UpJson };
}

describe('plan --json, then up (FakeEngine, through the CLI)', () => {
  it('up applies exactly the plan that plan --json printed, in its order, and the engine did exactly that', async () => {
    const w = await world();
    const f = w.engine('s1');
    const cli = await cliOn(w, fleetText(['staging', 'prod']));
    const { plan, up } = await planThenUp(cli, f);

    expect(plan.actions.length).toBeGreaterThan(10);
    expect(up.ok).toBe(true);
    expect(up.servers.map((s) => s.plan)).toEqual([plan]);
    expect(withoutOutcome(up.servers[0]!.applied)).toEqual(plan.actions);
    // The transcript: one create per create action, nothing else created or removed.
    const ids = (type: string, kind = 'create') => plan.actions.filter((a) => a.type === type && a.kind === kind).map((a) => a.id);
    expect(named(f, 'createNetwork')).toEqual(ids('network'));
    expect(named(f, 'createVolume').filter((n) => !bookkeeping(n))).toEqual(ids('volume'));
    expect(named(f, 'createContainer').filter((n) => !bookkeeping(n))).toEqual(['acme-postgres', 'acme-redis', 'acme-proxy']);
    expect(ids('container')).toEqual(['service/postgres', 'service/redis', 'proxy']);
    expect(f.ops('removeNetwork', 'removeVolume')).toEqual([]);
    // The only containers removed are the locks up held (by id), one per environment.
    const locks = named(f, 'createContainer').filter((n) => n.startsWith('acme-lock-'));
    expect(locks.sort()).toEqual(['acme-lock-prod', 'acme-lock-staging']);
    expect(f.ops('removeContainer')).toHaveLength(locks.length);
    // Databases went in on psql's stdin; the proxy config was loaded once, at create.
    expect(f.calls('exec').filter((a) => (a[1] as string[])[0] === 'psql')).toHaveLength(1);
    expect(ids('database')).toEqual(['service/postgres/web_prod', 'service/postgres/web_staging']);
    // App containers are left to deploy, and said so.
    expect(plan.deploy.map((a) => a.id)).toEqual(['web/prod/web/0', 'web/prod/worker/0', 'web/staging/web/0', 'web/staging/worker/0']);

    // Converged: the next plan is empty, and up has nothing to do.
    const again = await planThenUp(cli, f);
    expect(again.plan.actions).toEqual([]);
    expect(again.up.servers[0]!.applied).toEqual([]);
    expect(f.ops('createContainer', 'createNetwork', 'createVolume', 'removeNetwork', 'removeVolume', 'exec').filter((op) => op !== 'createContainer')).toEqual(
      [],
    );
  });

  it('an environment removed from the fleet: up removes its containers, networks and routes, keeps its data, and says so', async () => {
    const w = await world();
    const f = w.engine('s1');
    const first = await cliOn(w, fleetText(['staging', 'prod']));
    expect((await first(['up'])).code).toBe(0);
    await deployWith(w, 'web', 'staging');
    await deployWith(w, 'web', 'staging'); // a second release: the first one's containers are kept stopped
    await deployWith(w, 'web', 'prod');
    const stagingContainers = [...f.containers.values()].filter((c) => c.spec.labels['slipway.env'] === 'staging' && c.spec.labels['slipway.role'] === 'app');
    expect(stagingContainers.map((c) => c.state).sort()).toEqual(['exited', 'exited', 'running', 'running']);

    const cli = await cliOn(w, fleetText(['prod']));
    const { plan, up } = await planThenUp(cli, f);
    expect(withoutOutcome(up.servers[0]!.applied)).toEqual(plan.actions);
    const deletes = plan.actions.filter((a) => a.kind === 'delete');
    expect(deletes.map((a) => `${a.type} ${a.target ?? a.id}`)).toEqual([
      'route web-staging.localhost',
      ...stagingContainers.map((c) => `container ${c.name}`).sort(),
      'network acme-staging',
      'network acme-staging-edge',
    ]);
    expect(plan.kept.map((k) => `${k.type} ${k.id}`)).toEqual([
      'database service/postgres/web_staging',
      'redis-db service/redis/db0',
      'volume acme-staging-web-media',
    ]);
    expect(plan.actions.some((a) => a.destructive)).toBe(false);

    // On the engine: nothing of staging runs or exists but its data volume; prod is untouched.
    expect([...f.containers.values()].filter((c) => c.spec.labels['slipway.env'] === 'staging').map((c) => c.name)).toEqual([]);
    expect([...f.networks.keys()].filter((n) => n.includes('staging'))).toEqual([]);
    expect(f.volumes.has('acme-staging-web-media')).toBe(true);
    expect([...f.containers.values()].filter((c) => c.spec.labels['slipway.env'] === 'prod' && c.state === 'running')).toHaveLength(2);
    const caddy = f.readFile('acme-proxy', '/etc/caddy/caddy.json') ?? '';
    expect(caddy).toContain('web.localhost');
    expect(caddy).not.toContain('web-staging.localhost');
    // up held staging's lock too (an environment only found on the server), and audited.
    expect(named(f, 'createContainer')).toContain('acme-lock-staging');
    const audit = await readAudit(w.run('s1').store);
    expect(audit.filter((e) => e.action === 'up').map((e) => e.outcome)).toContain('ok');

    // The next plan only says what is kept; the data goes with --destroy-data, as destructive actions.
    const kept = JSON.parse((await cli(['plan', '--json'])).stdout) as Plan;
    expect(kept.actions).toEqual([]);
    expect(kept.kept).toEqual(plan.kept);
    const destroy = await planThenUp(cli, f, ['--destroy-data']);
    expect(destroy.plan.actions.map((a) => `${a.kind} ${a.type} ${a.id} ${a.destructive}`)).toEqual([
      'delete database service/postgres/web_staging true',
      'delete redis-db service/redis/db0 true',
      'delete volume acme-staging-web-media true',
    ]);
    expect(withoutOutcome(destroy.up.servers[0]!.applied)).toEqual(destroy.plan.actions);
    expect(f.volumes.has('acme-staging-web-media')).toBe(false);
    expect(f.calls('exec').map((a) => [a[0], (a[1] as string[]).join(' ')])).toEqual([
      ['acme-postgres', 'psql -X -q -v ON_ERROR_STOP=1 -U postgres -d postgres'],
      ['acme-redis', 'redis-cli --user slipway-admin -n 0 FLUSHDB'],
    ]);
    const after = JSON.parse((await cli(['plan', '--json'])).stdout) as Plan;
    expect(after).toMatchObject({ actions: [], kept: [] });
  });

  it("deploy's infrastructure step (upServer without prune) never deletes", async () => {
    const w = await world();
    const first = await cliOn(w, fleetText(['staging', 'prod']));
    expect((await first(['up'])).code).toBe(0);
    await deployWith(w, 'web', 'staging');
    const f = w.engine('s1');
    const fleet = fleetOf(fleetText(['prod']));
    const run = { ...serverRun(fleet, desire(fleet), w.run('s1').conn, w.run('s1').report, () => w.clock.t), sleep: async () => {} };
    const services = ['acme-postgres', 'acme-redis'].map((n) => f.find(n)!.id);
    f.clearTranscript();
    const r = await upServer(run);
    expect(r.plan.actions.filter((a) => a.kind === 'delete').map((a) => a.type)).toEqual(['route']);
    // The shared services are not recreated (networks are outside their spec hash); nothing is deleted:
    // they leave staging's network when `up` or `down` deletes it.
    expect(r.plan.actions.filter((a) => a.type === 'container').map((a) => `${a.kind} ${a.id}`)).toEqual([]);
    expect(named(f, 'removeContainer')).toEqual([]);
    expect(services.map((id) => [...f.containers.values()].find((c) => c.id === id)?.state)).toEqual(['running', 'running']);
    expect(f.ops('removeNetwork', 'removeVolume')).toEqual([]);
    expect([...f.networks.keys()]).toContain('acme-staging');
    expect([...f.containers.values()].filter((c) => c.spec.labels['slipway.env'] === 'staging' && c.state === 'running')).toHaveLength(2);
  });
});
