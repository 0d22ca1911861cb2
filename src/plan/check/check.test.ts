// check: each rule fires on a fleet that breaks it and stays quiet on the clean fleet.
import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { desire } from '../desire/desire.ts';
import type { DesiredState } from '../desire/desired.ts';
import type { Finding } from './finding.ts';
import { testFleet, type TApp, type TFleet } from '../../../test/fixtures/test-fleet.ts';

/** Two servers, prod alone on one; every limit, health check and auth in place. */
const clean: TFleet = {
  project: 'gs',
  servers: [
    { name: 'vps1', memory: '12GiB', proxy: 'nginx', httpsPort: 443 },
    { name: 'vps2', memory: '16GiB', httpsPort: 443 },
  ],
  envs: [
    { name: 'prod', server: 'vps1', protected: true, domain: '{app}.example.com', rateLimit: { rps: 10, burst: 20 }, memory: '512MiB' },
    { name: 'staging', server: 'vps2', auth: ['team'], domain: '{app}-{env}.example.com', memory: '512MiB' },
    { name: 'dev', server: 'vps2', auth: ['team'], domain: '{app}-{env}.example.com', memory: '512MiB' },
  ],
  services: [
    { name: 'postgres', memory: '1GiB' },
    { name: 'redis', memory: '256MiB' },
  ],
  apps: [
    {
      name: 'aletheia',
      uses: ['postgres', 'redis'],
      dependsOn: ['helios'],
      processes: {
        web: { port: 8000, memory: '768MiB', health: true },
        celery: { memory: '2GiB' },
        beat: { singleton: true },
      },
      env: { HELIOS: 'http://${helios.web}:3000', DEBUG: 'false', SITE: 'https://aletheia.example.com' },
      // Django's KEY_PREFIX: staging's and dev's Redis ACL users cannot touch each other's keys.
      perEnv: {
        staging: { env: { SITE: 'https://aletheia-staging.example.com', KEY_PREFIX: 'aletheia:staging:' } },
        dev: { env: { SITE: 'https://aletheia-dev.example.com', KEY_PREFIX: 'aletheia:dev:' } },
      },
    },
    { name: 'helios', processes: { web: { port: 3000, health: true } }, env: { API: 'http://${aletheia.web}:8000' } },
  ],
};

const run = (t: TFleet, d?: (f: ReturnType<typeof testFleet>) => DesiredState): Finding[] => {
  const f = testFleet(t);
  return check(f, d ? d(f) : desire(f));
};
const codes = (fs: Finding[]) => fs.map((f) => `${f.severity} ${f.code} ${f.subject}`);
const only = (fs: Finding[], code: string) => fs.filter((f) => f.code === code);
const withApps = (t: TFleet, map: (a: TApp) => TApp): TFleet => ({ ...t, apps: t.apps!.map(map) });

describe('check: clean fleet', () => {
  it('has no findings', () => {
    expect(run(clean)).toEqual([]);
  });
});

describe('check: duplicates', () => {
  it('reports colliding container and volume names, and only those', () => {
    // near misses: similar names that do not collide
    const fs = run({
      project: 'p',
      servers: [{ name: 's', memory: '8GiB' }],
      envs: [
        { name: 'c', protected: true },
        { name: 'b-c', protected: true },
      ],
      apps: [
        { name: 'a-b', environments: ['c'], volumes: ['m'], processes: { w: { memory: '64MiB', volumes: { m: '/m' } } } },
        { name: 'a', environments: ['b-c'], volumes: ['b-m'], processes: { 'b-c-w': { memory: '64MiB' } } },
      ],
    });
    expect(codes(only(fs, 'duplicate-container-name'))).toEqual([]);
    // app `a-b` in env `c` and app `a` in env `b-c` generate the same container name
    const fs2 = run({
      project: 'p',
      servers: [{ name: 's', memory: '8GiB' }],
      envs: [
        { name: 'c', protected: true },
        { name: 'b-c', protected: true },
      ],
      apps: [
        { name: 'a-b', environments: ['c'], volumes: ['x'], processes: { w: { memory: '64MiB', volumes: { x: '/x' } } } },
        { name: 'a', environments: ['b-c'], volumes: ['x'], processes: { w: { memory: '64MiB', volumes: { x: '/x' } } } },
      ],
    });
    expect(codes(fs2)).toEqual(['error duplicate-container-name p-a-b-c-w-0']);
    expect(only(fs2, 'duplicate-container-name')[0]!.message).toBe('container name p-a-b-c-w-0 on s is generated for a-b/c/w/0, a/b-c/w/0');
    // volumes: p-{env}-{app}-{vol}: env `c` app `a-b` vol `x` vs env `c-a` app `b` vol `x`
    const fs3 = run({
      project: 'p',
      servers: [{ name: 's', memory: '8GiB' }],
      envs: [
        { name: 'c', protected: true },
        { name: 'c-a', protected: true },
      ],
      apps: [
        { name: 'a-b', environments: ['c'], volumes: ['x'], processes: { w: { memory: '64MiB', volumes: { x: '/x' } } } },
        { name: 'b', environments: ['c-a'], volumes: ['x'], processes: { v: { memory: '64MiB', volumes: { x: '/x' } } } },
      ],
    });
    expect(codes(fs3)).toEqual(['error duplicate-volume-name p-c-a-b-x']);
  });

  it('reports a service alias colliding with a process alias, and a service named like the proxy', () => {
    const fs = run({
      project: 'p',
      servers: [{ name: 's', memory: '8GiB' }],
      envs: [{ name: 'prod', protected: true }],
      services: [
        { name: 'api-prod-web', kind: 'generic', memory: '64MiB' },
        { name: 'proxy', kind: 'generic', memory: '64MiB' },
      ],
      apps: [{ name: 'api', uses: ['api-prod-web', 'proxy'], processes: { web: { port: 80, memory: '64MiB', health: true } } }],
    });
    expect(codes(fs)).toEqual(['error duplicate-alias api-prod-web', 'error duplicate-container-name p-proxy']);
  });

  it('does not treat replicas of one process as duplicate aliases', () => {
    const fs = run(withApps(clean, (a) => (a.name === 'helios' ? { ...a, processes: { web: { port: 3000, health: true, replicas: 2 } } } : a)));
    expect(fs).toEqual([]);
  });

  it('reports network names colliding across envs (`prod` edge vs `prod-edge` private)', () => {
    const fs = run({
      project: 'p',
      servers: [{ name: 's', memory: '8GiB' }],
      envs: [
        { name: 'prod', protected: true },
        { name: 'prod-edge', protected: true },
      ],
      apps: [{ name: 'w', processes: { w: { memory: '64MiB' } } }],
    });
    expect(codes(fs)).toEqual(['error duplicate-network-name p-prod-edge']);
  });

  it('reports a domain routed twice across the fleet', () => {
    const fs = run(withApps(clean, (a) => (a.name === 'helios' ? { ...a, perEnv: { dev: { domains: ['aletheia-staging.example.com'] } } } : a)));
    expect(codes(only(fs, 'duplicate-domain'))).toEqual(['error duplicate-domain aletheia-staging.example.com']);
    expect(only(fs, 'duplicate-domain')[0]!.message).toBe(
      'domain aletheia-staging.example.com is routed 2 times: aletheia/staging on vps2, helios/dev on vps2',
    );
  });

  it('reports two containers publishing the same host port', () => {
    const f = testFleet(clean);
    const d = desire(f);
    const s = d.servers[0]!;
    s.containers = [...s.containers, { ...s.containers.find((c) => c.key === 'proxy')!, key: 'proxy2', name: 'gs-proxy2', publish: ['443:8443'] }];
    expect(codes(check(f, d))).toEqual(['error duplicate-host-port vps1:443']);
  });
});

describe('check: cross-environment references', () => {
  it.each([
    ['a prod alias in staging', 'http://aletheia-prod-web:8000/api', 'aletheia-prod-web', 'address'],
    ['a prod domain in staging', 'https://helios.example.com/revalidate', 'helios.example.com', 'domain'],
    ['a prod database in staging', 'postgres://u@postgres/aletheia_prod', 'aletheia_prod', 'database'],
  ])('fires on %s', (_, value, token, kind) => {
    const fs = run(withApps(clean, (a) => (a.name === 'helios' ? { ...a, perEnv: { staging: { env: { BAD: value } } } } : a)));
    expect(codes(fs)).toEqual(['error cross-env-reference helios/staging/BAD']);
    expect(fs[0]).toMatchObject({ env: 'staging', app: 'helios', server: 'vps2' });
    expect(fs[0]!.message).toBe(`BAD of helios in staging names ${token}, the ${kind} of prod`);
  });

  it.each([
    ['its own alias', 'http://aletheia-staging-web:8000'],
    ['a longer host that contains a prod alias', 'http://aletheia-prod-web2:8000'],
    ['a subdomain of a prod domain', 'https://cdn.helios.example.com'],
    ['a longer db name', 'aletheia_prod_archive'],
  ])('stays quiet on %s', (_, value) => {
    const fs = run(withApps(clean, (a) => (a.name === 'helios' ? { ...a, perEnv: { staging: { env: { OK: value } } } } : a)));
    expect(fs).toEqual([]);
  });
});

describe('check: placement', () => {
  it('reports apps that call each other on different servers in one env (depends_on and ${ref})', () => {
    const fs = run(withApps(clean, (a) => (a.name === 'helios' ? { ...a, perEnv: { prod: { server: 'vps2' } } } : a)));
    expect(codes(only(fs, 'cross-server-dependency'))).toEqual([
      'error cross-server-dependency aletheia/prod->helios',
      'error cross-server-dependency helios/prod->aletheia',
    ]);
    expect(only(fs, 'cross-server-dependency')[1]!.message).toBe(
      'helios (on vps2) calls aletheia (on vps1) in prod (${aletheia.web} in API), but private networks do not span servers',
    );
  });

  it('stays quiet when apps that do not call each other are split', () => {
    const t: TFleet = {
      ...clean,
      apps: [
        { name: 'a', processes: { w: { memory: '64MiB' } } },
        { name: 'b', processes: { w: { memory: '64MiB' } }, perEnv: { staging: { server: 'vps1' } } },
      ],
    };
    expect(codes(only(run(t), 'cross-server-dependency'))).toEqual([]);
  });

  it('reports an app that cannot reach its env-scoped service on another server', () => {
    const t: TFleet = {
      project: 'p',
      servers: [
        { name: 's1', memory: '8GiB' },
        { name: 's2', memory: '8GiB' },
      ],
      envs: [{ name: 'prod', server: 's1', protected: true }],
      services: [{ name: 'pg', kind: 'postgres', scope: 'environment', memory: '1GiB' }],
      apps: [
        { name: 'api', uses: ['pg'], processes: { w: { memory: '64MiB' } } },
        { name: 'jobs', uses: ['pg'], processes: { w: { memory: '64MiB' } }, perEnv: { prod: { server: 's2' } } },
      ],
    };
    expect(codes(run(t))).toEqual(['error cross-server-service jobs/prod->pg']);
  });

  it('reports a singleton with replicas > 1', () => {
    const fs = run(
      withApps(clean, (a) => (a.name === 'aletheia' ? { ...a, perEnv: { ...a.perEnv, dev: { ...a.perEnv!.dev, processes: { beat: { replicas: 2 } } } } } : a)),
    );
    expect(codes(fs)).toEqual(['error singleton-replicas aletheia/dev/beat']);
  });
});

describe('check: memory', () => {
  it('reports limits over server memory minus headroom, naming the 3 biggest', () => {
    const t: TFleet = {
      project: 'p',
      servers: [{ name: 's', memory: '4GiB' }],
      envs: [{ name: 'prod', protected: true }],
      apps: [
        {
          name: 'a',
          processes: {
            web: { memory: '1GiB', replicas: 2 },
            heavy: { memory: '1.5GiB' },
            small: { memory: '256MiB' },
            tiny: { memory: '128MiB' },
          },
        },
      ],
    };
    // 3.875GiB reserved; available 4GiB - 512MiB = 3.5GiB
    const fs = run(t);
    expect(codes(fs)).toEqual(['error memory-over-budget s']);
    expect(fs[0]!.message).toBe(
      'memory limits on s add up to 3.88GiB, more than the 3.5GiB available (4GiB minus 512MiB headroom); ' +
        'biggest: a/prod/web 2GiB (2×1GiB), a/prod/heavy 1.5GiB, a/prod/small 256MiB',
    );
  });

  it('uses 10% headroom on big servers and stays quiet under it', () => {
    const mk = (mem: string): TFleet => ({
      project: 'p',
      servers: [{ name: 's', memory: '16GiB' }],
      envs: [{ name: 'prod', protected: true }],
      apps: [{ name: 'a', processes: { w: { memory: mem } } }],
    });
    // 16GiB - 1.6GiB = 14.4GiB
    expect(codes(run(mk('14GiB')))).toEqual([]);
    expect(codes(run(mk('14.5GiB')))).toEqual(['error memory-over-budget s']);
  });

  it('notes a server without a memory size', () => {
    const fs = run({ ...clean, servers: [{ name: 'vps1', proxy: 'nginx' }, clean.servers![1]!] });
    expect(codes(fs)).toEqual(['info server-memory-unknown vps1']);
  });

  it('warns for processes and services without a limit, after env defaults', () => {
    const t: TFleet = {
      ...clean,
      envs: clean.envs!.map((e) => (e.name === 'dev' ? { ...e, memory: undefined } : e)),
      services: [{ name: 'postgres' }, { name: 'redis', memory: '256MiB' }],
    };
    expect(codes(run(t))).toEqual([
      'warning missing-memory-limit aletheia/dev/beat',
      'warning missing-memory-limit helios/dev/web',
      'warning missing-memory-limit service/postgres',
      'warning missing-memory-limit service/postgres',
    ]);
    expect(
      run(t)
        .filter((f) => f.subject === 'service/postgres')
        .map((f) => f.server),
    ).toEqual(['vps1', 'vps2']);
  });
});

describe('check: keys on a shared Redis', () => {
  const oneServer: TFleet = {
    ...clean,
    envs: clean.envs!.map((e) => ({ ...e, server: 'vps1' })),
    servers: [{ name: 'vps1', memory: '32GiB', proxy: 'nginx' }],
  };
  const prefixed = (prod: Record<string, string>): TFleet =>
    withApps(oneServer, (a) => (a.name === 'aletheia' ? { ...a, perEnv: { ...a.perEnv, prod: { env: prod } } } : a));

  it('is an error for a protected env without a key prefix (its keys open to every other env), a warning for the others', () => {
    const fs = only(run(oneServer), 'redis-shared-keys');
    expect(codes(fs)).toEqual([
      'error redis-shared-keys vps1/service/redis/aletheia.prod',
      // staging's and dev's prefixes do not help while prod's user may touch every key.
      'warning redis-shared-keys vps1/service/redis/aletheia.dev',
      'warning redis-shared-keys vps1/service/redis/aletheia.staging',
    ]);
    expect(fs[0]!.message).toBe(
      'aletheia in prod (protected) shares Redis gs-redis with other environments and declares no key prefix, so its keys are open to aletheia (dev), aletheia (staging): their ACL users can read, overwrite and delete its keys in every DB (a DB number is not a boundary)',
    );
    expect(fs[0]!.hint).toContain('scope: environment');
    expect(fs[0]!.hint).toContain('accept_shared_keys: true');
  });

  it('stays quiet when every env has its own prefix (REDIS_PREFIX, KEY_PREFIX…)', () => {
    expect(only(run(prefixed({ REDIS_PREFIX: 'aletheia:prod:' })), 'redis-shared-keys')).toEqual([]);
  });

  it('reports prefixes that overlap (one starts the other)', () => {
    const fs = only(run(prefixed({ REDIS_PREFIX: 'aletheia:' })), 'redis-shared-keys');
    expect(codes(fs)).toEqual([
      'error redis-shared-keys vps1/service/redis/aletheia.prod',
      'warning redis-shared-keys vps1/service/redis/aletheia.dev',
      'warning redis-shared-keys vps1/service/redis/aletheia.staging',
    ]);
    expect(fs[0]!.message).toContain('has key prefix "aletheia:", which is open to');
  });

  it('accept_shared_keys silences the protected env only', () => {
    const f = testFleet(oneServer);
    const app = f.apps.find((a) => a.name === 'aletheia')!;
    app.perEnv.prod!.redis = { keyPrefixes: [], acceptSharedKeys: true };
    expect(codes(only(check(f, desire(f)), 'redis-shared-keys'))).toEqual([
      'warning redis-shared-keys vps1/service/redis/aletheia.dev',
      'warning redis-shared-keys vps1/service/redis/aletheia.staging',
    ]);
  });

  it('an environment-scoped Redis shares nothing', () => {
    const t: TFleet = { ...oneServer, services: oneServer.services!.map((s) => (s.name === 'redis' ? { ...s, scope: 'environment' } : s)) };
    expect(only(run(t), 'redis-shared-keys')).toEqual([]);
  });
});

describe('check: isolation and web', () => {
  const oneServer: TFleet = {
    ...clean,
    envs: clean.envs!.map((e) => ({ ...e, server: 'vps1' })),
    servers: [{ name: 'vps1', memory: '32GiB', proxy: 'nginx' }],
  };

  it('warns when a protected env shares a server-scoped postgres or redis with a non-protected env', () => {
    const fs = only(run(oneServer), 'shared-instance-protected');
    expect(codes(fs)).toEqual(['warning shared-instance-protected vps1/service/postgres', 'warning shared-instance-protected vps1/service/redis']);
    expect(fs[0]!.message).toBe(
      'prod (protected) shares postgres instance gs-postgres on vps1 with staging, dev: a bad staging/dev migration can lock prod tables, and a runaway staging/dev query starves prod of CPU, I/O and connections',
    );
  });

  it('stays quiet with environment-scoped services', () => {
    const t: TFleet = { ...oneServer, services: clean.services!.map((s) => ({ ...s, scope: 'environment' as const })) };
    expect(run(t)).toEqual([]);
  });

  it('warns for a protected web process without a health check (not for non-protected envs)', () => {
    const fs = run(withApps(clean, (a) => (a.name === 'helios' ? { ...a, processes: { web: { port: 3000 } } } : a)));
    expect(codes(fs)).toEqual(['warning protected-web-without-health helios/prod/web']);
  });

  it('warns for a non-protected env with routes and no basic auth', () => {
    const t: TFleet = { ...clean, envs: clean.envs!.map((e) => (e.name === 'dev' ? { ...e, auth: undefined } : e)) };
    const fs = run(t);
    expect(codes(fs)).toEqual(['warning route-without-auth dev']);
    expect(fs[0]!.message).toBe('dev is not protected and has no basic auth, yet is public at aletheia-dev.example.com, helios-dev.example.com');
  });

  it('stays quiet for a non-protected env without routes', () => {
    const t: TFleet = { ...clean, envs: clean.envs!.map((e) => (e.name === 'dev' ? { ...e, auth: undefined, domain: undefined } : e)) };
    expect(run(t)).toEqual([]);
  });

  it('warns that Caddy cannot enforce rate_limit (not on nginx)', () => {
    const t: TFleet = { ...clean, servers: [{ name: 'vps1', memory: '12GiB', proxy: 'caddy' }, clean.servers![1]!] };
    const fs = run(t);
    expect(codes(fs)).toEqual(['warning rate-limit-unsupported vps1/prod']);
    expect(fs[0]!.hint).toBe('set `proxy: nginx` on server vps1 to enforce it');
  });
});

describe('check: ordering', () => {
  it('sorts by severity, then code, then subject', () => {
    const t: TFleet = {
      ...clean,
      servers: [{ name: 'vps1', proxy: 'caddy' }, clean.servers![1]!],
      envs: clean.envs!.map((e) => (e.name === 'dev' ? { ...e, auth: undefined } : e)),
      apps: clean.apps!.map((a) =>
        a.name === 'aletheia' ? { ...a, perEnv: { ...a.perEnv, dev: { ...a.perEnv!.dev, processes: { beat: { replicas: 3 } } } } } : a,
      ),
    };
    expect(codes(run(t))).toEqual([
      'error singleton-replicas aletheia/dev/beat',
      'warning rate-limit-unsupported vps1/prod',
      'warning route-without-auth dev',
      'info server-memory-unknown vps1',
    ]);
  });
});
