// Networks and aliases in desired state: an app without compose networks stays on its env's
// private network; a compose app gets its own networks per environment (internal kept), answers
// to its short compose names only there, joins the env network only when something there needs
// it, and only routed processes join the edge network. External networks and volumes keep their
// names; check warns when two environments share one, and when a name means two things.
import { describe, expect, it } from 'vitest';
import type { Fleet, ProcessNetwork, ProcessSpec } from '../../config/fleet.ts';
import { testFleet, type TFleet } from '../../../test/fixtures/test-fleet.ts';
import { check } from '../check/check.ts';
import { desire } from './desire.ts';
import type { ContainerSpec, DesiredState, ServerState } from './desired.ts';

type ComposeBits = Partial<Pick<ProcessSpec, 'networks' | 'aliases' | 'externalVolumes' | 'domains' | 'web'>>;

/** Sets compose-import fields on processes, in every environment of the app. */
function withCompose(fleet: Fleet, app: string, bits: Record<string, ComposeBits>): Fleet {
  const a = fleet.apps.find((x) => x.name === app)!;
  for (const ae of Object.values(a.perEnv))
    for (const p of ae.processes) {
      const b = bits[p.name];
      if (b) Object.assign(p, structuredClone(b));
    }
  return fleet;
}

const net = (name: string, internal = false, external?: string): ProcessNetwork => (external ? { name, internal, external } : { name, internal });
const only = (d: DesiredState): ServerState => d.servers[0]!;
const c = (s: ServerState, key: string): ContainerSpec => {
  const x = s.containers.find((k) => k.key === key);
  if (!x) throw new Error(`no ${key}: ${s.containers.map((k) => k.key).join(', ')}`);
  return x;
};
const nets = (x: ContainerSpec) => Object.fromEntries(x.networks.map((n) => [n.network, n.aliases]));

/** The odyssey shape: front on public, api on public+internal+db, postgres on db, redis on internal. */
function odyssey(extra: Partial<TFleet> = {}, uses: string[] = []): Fleet {
  const f = testFleet({
    project: 'p',
    envs: [
      { name: 'staging', domain: '{app}-{env}.example.com' },
      { name: 'prod', domain: '{app}.example.com' },
    ],
    apps: [
      {
        name: 'shop',
        uses,
        processes: { front: { port: 3000 }, api: { port: 8000 }, postgres: { image: 'postgres:15' }, redis: { image: 'redis:7', port: 6379 } },
      },
    ],
    ...extra,
  });
  return withCompose(f, 'shop', {
    front: { networks: [net('public')], aliases: ['front'], web: true },
    api: { networks: [net('public'), net('internal', true), net('db', true)], aliases: ['api', 'backend'], web: false },
    postgres: { networks: [net('db', true)], aliases: ['postgres', 'db'], web: false },
    redis: { networks: [net('internal', true)], aliases: ['redis'], web: false },
  });
}

describe('desire: an app without compose networks', () => {
  const s = only(
    desire(
      testFleet({
        project: 'p',
        envs: [{ name: 'prod', domain: '{app}.example.com' }],
        apps: [{ name: 'a', processes: { web: { port: 8000 }, metrics: { port: 9100 }, worker: {} } }],
      }),
    ),
  );

  it('is on its env’s private network by its long alias; only the routed web process is on the edge', () => {
    expect(nets(c(s, 'a/prod/web/0'))).toEqual({ 'p-prod': ['a-prod-web'], 'p-prod-edge': ['a-prod-web'] });
    // A port alone does not put a process in front of the proxy.
    expect(nets(c(s, 'a/prod/metrics/0'))).toEqual({ 'p-prod': ['a-prod-metrics'] });
    expect(nets(c(s, 'a/prod/worker/0'))).toEqual({ 'p-prod': ['a-prod-worker'] });
    expect(s.networks.map((n) => n.name)).toEqual(['p-prod', 'p-prod-edge']);
    expect(s.externals).toBeUndefined();
  });
});

describe('desire: a compose app’s networks', () => {
  const s = only(desire(odyssey()));

  it('are one network per app and environment, internal ones internal, labelled', () => {
    expect(s.networks.filter((n) => n.purpose === 'app').map((n) => `${n.name}${n.internal ? ' internal' : ''}`)).toEqual([
      'p-prod-shop-db internal',
      'p-prod-shop-internal internal',
      'p-prod-shop-public',
      'p-staging-shop-db internal',
      'p-staging-shop-internal internal',
      'p-staging-shop-public',
    ]);
    expect(s.networks.find((n) => n.name === 'p-staging-shop-db')).toEqual({
      name: 'p-staging-shop-db',
      purpose: 'app',
      env: 'staging',
      app: 'shop',
      internal: true,
      labels: { 'slipway.project': 'p', 'slipway.env': 'staging', 'slipway.app': 'shop', 'slipway.network': 'app', 'slipway.compose-network': 'db' },
    });
  });

  it('each process joins only what it lists, answers to its short names there, and to its long name everywhere', () => {
    expect(nets(c(s, 'shop/prod/postgres/0'))).toEqual({ 'p-prod-shop-db': ['shop-prod-postgres', 'postgres', 'db'] });
    expect(nets(c(s, 'shop/prod/redis/0'))).toEqual({ 'p-prod-shop-internal': ['shop-prod-redis', 'redis'] });
    expect(nets(c(s, 'shop/prod/api/0'))).toEqual({
      'p-prod-shop-public': ['shop-prod-api', 'api', 'backend'],
      'p-prod-shop-internal': ['shop-prod-api', 'api', 'backend'],
      'p-prod-shop-db': ['shop-prod-api', 'api', 'backend'],
    });
  });

  it('the routed front-end joins the edge (long name only) and never the database’s network', () => {
    expect(nets(c(s, 'shop/staging/front/0'))).toEqual({
      'p-staging-shop-public': ['shop-staging-front', 'front'],
      'p-staging-edge': ['shop-staging-front'],
    });
    // redis has a port but no route: the proxy's network is not its way in.
    expect(c(s, 'shop/prod/redis/0').networks.map((n) => n.network)).not.toContain('p-prod-edge');
    expect(s.routes.map((r) => r.upstream).sort()).toEqual(['shop-prod-front:3000', 'shop-staging-front:3000']);
  });

  it('staging’s db is on staging’s networks only: the same short name never crosses environments', () => {
    const onNet = (network: string) => s.containers.filter((x) => x.networks.some((n) => n.network === network && n.aliases.includes('db'))).map((x) => x.key);
    expect(onNet('p-staging-shop-db')).toEqual(['shop/staging/postgres/0']);
    expect(onNet('p-prod-shop-db')).toEqual(['shop/prod/postgres/0']);
    for (const x of s.containers) for (const n of x.networks) if (n.network.startsWith('p-prod')) expect(x.env ?? 'prod').toBe('prod');
  });

  it('a self-contained compose app is not on the env network; check finds nothing about names', () => {
    expect(s.containers.filter((x) => x.networks.some((n) => n.network === 'p-prod')).map((x) => x.key)).toEqual([]);
    const codes = check(odyssey(), desire(odyssey())).map((f) => f.code);
    expect(codes).not.toContain('duplicate-alias');
    expect(codes).not.toContain('ambiguous-name');
    expect(codes).not.toContain('external-shared');
  });
});

describe('desire: the env network joins a compose app where it is needed', () => {
  it('with a shared service used: the processes on a non-internal network join it, internal-only ones never', () => {
    const f = odyssey({ services: [{ name: 'pg', kind: 'postgres' }] }, ['pg']);
    const s = only(desire(f));
    const onEnv = s.containers.filter((x) => x.networks.some((n) => n.network === 'p-prod')).map((x) => x.key);
    expect(onEnv.sort()).toEqual(['service/pg', 'shop/prod/api/0', 'shop/prod/front/0']);
    expect(nets(c(s, 'shop/prod/api/0'))['p-prod']).toEqual(['shop-prod-api']);
  });

  it('when another app names a process (${shop.api}), that process joins it, and so does the caller', () => {
    const f = odyssey({
      apps: [
        { name: 'shop', processes: { front: { port: 3000 }, api: { port: 8000 }, postgres: {}, redis: {} } },
        { name: 'mail', processes: { worker: { env: { API: 'http://${shop.api}:8000' } } } },
      ],
    });
    withCompose(f, 'shop', {
      front: { networks: [net('public')], aliases: ['front'], web: true },
      api: { networks: [net('public'), net('db', true)], aliases: ['api'] },
      postgres: { networks: [net('db', true)], aliases: ['postgres'] },
      redis: { networks: [net('internal', true)], aliases: ['redis'] },
    });
    const s = only(desire(f));
    expect(s.containers.filter((x) => x.networks.some((n) => n.network === 'p-prod')).map((x) => x.key)).toEqual(['mail/prod/worker/0', 'shop/prod/api/0']);
  });
});

describe('desire and check: short names across apps', () => {
  it('two apps of one environment both with a db: each db is on its own app’s network, no collision', () => {
    const f = testFleet({
      project: 'p',
      apps: [
        { name: 'a', processes: { web: { port: 80 }, db: {} } },
        { name: 'b', processes: { web: { port: 80 }, db: {} } },
      ],
    });
    for (const app of ['a', 'b'])
      withCompose(f, app, { web: { networks: [net('default')], aliases: ['web'] }, db: { networks: [net('default')], aliases: ['db'] } });
    const d = desire(f);
    expect(nets(c(only(d), 'a/prod/db/0'))).toEqual({ 'p-prod-a-default': ['a-prod-db', 'db'] });
    expect(nets(c(only(d), 'b/prod/db/0'))).toEqual({ 'p-prod-b-default': ['b-prod-db', 'db'] });
    expect(
      check(f, d)
        .filter((x) => x.severity !== 'info')
        .map((x) => x.code),
    ).not.toEqual(expect.arrayContaining(['duplicate-alias']));
  });

  it('a compose redis beside a shared service called redis: the name means two things, check says so', () => {
    const f = odyssey({ services: [{ name: 'redis', kind: 'redis' }] }, ['redis']);
    const found = check(f, desire(f)).filter((x) => x.code === 'ambiguous-name');
    expect(found.map((x) => x.message)).toEqual([
      "the name redis means two things to shop/prod/api on main: service/redis (network p-prod) and shop/prod/redis (network p-prod-shop-internal); Docker's DNS answers with either",
      "the name redis means two things to shop/staging/api on main: service/redis (network p-staging) and shop/staging/redis (network p-staging-shop-internal); Docker's DNS answers with either",
    ]);
    expect(found[0]!.severity).toBe('warning');
  });
});

describe('desire and check: external networks and volumes', () => {
  const f = odyssey();
  withCompose(f, 'shop', {
    api: { networks: [net('public'), net('monitoring', false, 'shared-monitoring')], aliases: ['api'] },
    postgres: { networks: [net('db', true)], aliases: ['postgres'], externalVolumes: { 'legacy-pgdata': '/var/lib/postgresql/data' } },
  });
  const d = desire(f);
  const s = only(d);

  it('are used by their own name, never created: not desired networks or volumes, listed as externals', () => {
    expect(nets(c(s, 'shop/prod/api/0'))['shared-monitoring']).toEqual(['shop-prod-api']);
    expect(c(s, 'shop/staging/postgres/0').mounts).toEqual({ 'legacy-pgdata': '/var/lib/postgresql/data' });
    expect(s.networks.map((n) => n.name)).not.toContain('shared-monitoring');
    expect(s.volumes.map((v) => v.name)).not.toContain('legacy-pgdata');
    expect(s.externals).toEqual([
      { type: 'network', name: 'shared-monitoring', env: 'prod', app: 'shop' },
      { type: 'network', name: 'shared-monitoring', env: 'staging', app: 'shop' },
      { type: 'volume', name: 'legacy-pgdata', env: 'prod', app: 'shop' },
      { type: 'volume', name: 'legacy-pgdata', env: 'staging', app: 'shop' },
    ]);
  });

  it('check warns when two environments share one', () => {
    const found = check(f, d).filter((x) => x.code === 'external-shared');
    expect(found.map((x) => `${x.severity} ${x.subject}: ${x.message}`)).toEqual([
      'warning main/legacy-pgdata: external volume legacy-pgdata on main is mounted by prod and staging (shop): the environments share its data',
      'warning main/shared-monitoring: external network shared-monitoring on main is joined by prod and staging (shop): their containers can reach each other on it',
    ]);
  });

  it('one environment alone on an external volume is not warned about', () => {
    const single = odyssey({ envs: [{ name: 'prod' }] });
    withCompose(single, 'shop', { postgres: { networks: [net('db', true)], externalVolumes: { 'legacy-pgdata': '/data' } } });
    expect(check(single, desire(single)).map((x) => x.code)).not.toContain('external-shared');
  });
});
