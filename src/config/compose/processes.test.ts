// composeToProcesses: one ProcessSpec per compose service, rewritten per environment; and the
// qual-prod example (seed 002) imported as two isolated environments.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProcessSpec } from '../fleet.ts';
import { readCompose } from './read.ts';
import type { SourceInfo } from './bind-sources.ts';
import { composeHostMap, composeToProcesses, hasUrlPassword, httpProbe, isSecretKey, processName, suspectedSecrets } from './processes.ts';

const FLEET_DIR = '/repo';
const FILE = '/repo/deploy/docker-compose.yml';

function convert(text: string, env = 'prod') {
  const r = readCompose(FILE, text, { readFile: () => undefined });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return composeToProcesses(r.compose!, { project: 'shop', app: 'shop', env, fleetDir: FLEET_DIR, readSource: fakeTree });
}

/** The repository as these tests see it: bind sources not listed are missing. */
const TREE: Record<string, SourceInfo> = { '/repo/deploy/nginx.conf': { type: 'file', digest: 'd-nginx' } };
const fakeTree = (abs: string): SourceInfo => TREE[abs] ?? { type: 'missing' };

function proc(out: { processes: ProcessSpec[] }, name: string): ProcessSpec {
  const p = out.processes.find((x) => x.name === name);
  if (!p) throw new Error(`no process ${name}`);
  return p;
}

const plainEnv = (p: ProcessSpec) => Object.fromEntries(Object.entries(p.env).map(([k, v]) => [k, v.kind === 'plain' ? v.value : `secret:${v.name}`]));

describe('composeToProcesses', () => {
  const out = convert(`
services:
  web:
    build: { context: ../app, dockerfile: docker/Web.Dockerfile }
    image: registry.example.com/web:ignored
    command: ["gunicorn", "--bind", "0.0.0.0:8000", "--forwarded-allow-ips=*"]
    environment:
      DATABASE_URL: postgres://app:pw@db:5432/app
      CACHE: cache:6379
      LITERAL: $\${NOT_INTERPOLATED}
    ports: ["8000:8000"]
    volumes: ["media:/srv/media", "./nginx.conf:/etc/nginx.conf:ro", "/opt/shared:/shared"]
    networks: [front, back]
    depends_on: [db, cache]
    healthcheck:
      test: curl -fsS http://localhost:8000/healthz?full=1 || exit 1
    deploy: { replicas: 3, resources: { limits: { memory: 1G, cpus: "1.5" } } }
    stop_grace_period: 45s
  worker_main:
    build: .
    command: celery -A app worker --broker redis://cache:6379/0
    entrypoint: ["/usr/bin/tini", "--"]
  db:
    image: postgres:17
    volumes: [pgdata:/var/lib/postgresql/data]
    healthcheck: { test: ["CMD", "pg_isready"], interval: 2s }
    networks:
      back: { aliases: [database] }
  cache:
    image: redis:7
    container_name: legacy-cache
    expose: [6379]
  probe:
    image: busybox
    environment:
      A: http://database:5432
      B: legacy-cache:6379
      C: http://worker_main:9000/metrics
volumes: { media: {}, pgdata: {} }
networks: { front: {}, back: {} }
`);

  it('makes one process per service, in file order, with sanitized names', () => {
    expect(out.processes.map((p) => p.name)).toEqual(['web', 'worker-main', 'db', 'cache', 'probe']);
    expect(out.diagnostics.map((d) => d.code)).toContain('process-renamed');
  });

  it('carries build (relative to the fleet dir), replicas, limits, port, stop timeout', () => {
    const web = proc(out, 'web');
    expect(web).toMatchObject({
      build: { context: './app', dockerfile: 'docker/Web.Dockerfile' },
      replicas: 3,
      memory: 1024 ** 3,
      cpus: 1.5,
      port: 8000,
      stopTimeoutS: 45,
      singleton: false,
      command: ['gunicorn', '--bind', '0.0.0.0:8000', '--forwarded-allow-ips=*'],
    });
    expect(web.image).toBeUndefined();
    expect(proc(out, 'worker-main').build).toEqual({ context: './deploy', dockerfile: 'Dockerfile' });
  });

  it('uses the image and the defaults when there is no build', () => {
    const db = proc(out, 'db');
    expect(db).toMatchObject({ image: 'postgres:17', replicas: 1, stopTimeoutS: 10, singleton: false });
    expect(db.build).toBeUndefined();
    expect(db.port).toBeUndefined();
  });

  it('rewrites hostnames in env to per-environment aliases, escaping ${ for desire', () => {
    expect(plainEnv(proc(out, 'web'))).toEqual({
      DATABASE_URL: 'postgres://app:pw@shop-prod-db:5432/app',
      CACHE: 'shop-prod-cache:6379',
      LITERAL: '$${NOT_INTERPOLATED}',
    });
  });

  it('rewrites network aliases, container_name and underscored names too', () => {
    expect(plainEnv(proc(out, 'probe'))).toEqual({
      A: 'http://shop-prod-db:5432',
      B: 'shop-prod-cache:6379',
      C: 'http://shop-prod-worker-main:9000/metrics',
    });
  });

  it('rewrites URLs in commands; the entrypoint replaces the image’s, as in compose', () => {
    expect(proc(out, 'worker-main').command).toEqual(['celery', '-A', 'app', 'worker', '--broker', 'redis://shop-prod-cache:6379/0']);
    expect(proc(out, 'worker-main').entrypoint).toEqual(['/usr/bin/tini', '--']);
  });

  it('keeps named volumes by compose name and bind mounts as binds with their path, never as volumes', () => {
    expect(proc(out, 'web').volumes).toEqual({ media: '/srv/media' });
    expect(proc(out, 'web').binds).toEqual([
      { source: './deploy/nginx.conf', target: '/etc/nginx.conf', readOnly: true, repo: { type: 'file', digest: 'd-nginx' } },
      { source: '/opt/shared', target: '/shared', readOnly: false },
    ]);
    expect(proc(out, 'db').volumes).toEqual({ pgdata: '/var/lib/postgresql/data' });
    expect(proc(out, 'db').binds).toBeUndefined();
    expect(out.volumes).toEqual(['media', 'pgdata']);
    expect(out.diagnostics.filter((d) => d.code === 'read-only-dropped')).toHaveLength(0);
  });

  it('maps depends_on and keeps the compose networks (service-names.test.ts has the rest)', () => {
    expect(proc(out, 'web').dependsOn).toEqual(['db', 'cache']);
    expect(proc(out, 'web').networks?.map((n) => n.name)).toEqual(['front', 'back']);
    expect(proc(out, 'probe').networks?.map((n) => n.name)).toEqual(['default']);
  });

  it('extracts the HTTP path of a curl probe and keeps the command, with compose durations or defaults', () => {
    expect(proc(out, 'web').health).toEqual({
      path: '/healthz?full=1',
      command: ['CMD-SHELL', 'curl -fsS http://localhost:8000/healthz?full=1 || exit 1'],
      intervalMs: 5000,
      timeoutMs: 3000,
      retries: 10,
      startPeriodMs: 0,
    });
  });

  it('keeps non-HTTP checks as commands Docker runs in the container', () => {
    expect(proc(out, 'db').health).toEqual({ command: ['CMD', 'pg_isready'], intervalMs: 2000, timeoutMs: 3000, retries: 10, startPeriodMs: 0 });
    expect(out.diagnostics.some((x) => x.code === 'health-not-http')).toBe(false);
    expect(proc(out, 'cache').health).toBeNull();
  });

  it('handles every healthcheck form: no scheme, wget --spider, node -e, NONE, disable, no test, another port', () => {
    const o = convert(`
services:
  a: { image: x, ports: ["3000"], healthcheck: { test: curl -f localhost:3000/health } }
  b: { image: x, expose: [8080], healthcheck: { test: ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:8080/ping"] } }
  c: { image: x, healthcheck: { test: ["CMD", "node", "-e", "require('http').get('http://localhost:3000')"] } }
  d: { image: x, healthcheck: { test: ["NONE"] } }
  e: { image: x, healthcheck: { test: NONE } }
  f: { image: x, healthcheck: { test: ["CMD", "true"], disable: true } }
  g: { image: x, healthcheck: { disable: false } }
  h: { image: x, expose: [80], healthcheck: { test: "curl -f http://localhost:9090/metrics" } }
  i: { image: redis:7, healthcheck: { test: redis-cli ping, interval: 1s, retries: 3 } }
`);
    expect(proc(o, 'a').health).toMatchObject({ path: '/health', command: ['CMD-SHELL', 'curl -f localhost:3000/health'] });
    expect(proc(o, 'b').health).toMatchObject({ path: '/ping' });
    expect(proc(o, 'c').health).toEqual({
      command: ['CMD', 'node', '-e', "require('http').get('http://localhost:3000')"],
      intervalMs: 5000,
      timeoutMs: 3000,
      retries: 10,
      startPeriodMs: 0,
    });
    for (const n of ['d', 'e', 'f', 'g']) expect(proc(o, n).health).toBeNull();
    expect(o.diagnostics.find((d) => d.code === 'health-from-image')?.path).toBe('services/g/healthcheck');
    expect(proc(o, 'h').health).toMatchObject({ command: ['CMD-SHELL', 'curl -f http://localhost:9090/metrics'] });
    expect(proc(o, 'h').health?.path).toBeUndefined();
    expect(o.diagnostics.find((d) => d.code === 'health-port')).toMatchObject({ severity: 'info', path: 'services/h/healthcheck/test' });
    expect(proc(o, 'i').health).toEqual({ command: ['CMD-SHELL', 'redis-cli ping'], intervalMs: 1000, timeoutMs: 3000, retries: 3, startPeriodMs: 0 });
  });

  it('differs between environments only by aliases', () => {
    const qual = convert('services:\n  a:\n    image: x\n    environment: { B: "http://b:80" }\n  b:\n    image: y\n', 'qual');
    expect(plainEnv(proc(qual, 'a'))).toEqual({ B: 'http://shop-qual-b:80' });
  });

  it('refuses two services that become the same process', () => {
    const r = readCompose(FILE, 'services:\n  a_b:\n    image: x\n  a-b:\n    image: y\n');
    const o = composeToProcesses(r.compose!, { project: 'p', app: 'p', env: 'e', fleetDir: FLEET_DIR });
    expect(o.processes.map((p) => p.name)).toEqual(['a-b']);
    expect(o.diagnostics.find((d) => d.severity === 'error')).toMatchObject({ code: 'duplicate-process', path: 'services/a-b' });
  });
});

describe('httpProbe', () => {
  it.each([
    [['CMD', 'curl', '-f', 'http://localhost:3000/health'], { path: '/health', port: 3000 }],
    [['CMD-SHELL', 'curl -fsS http://127.0.0.1:8080/api/ping || exit 1'], { path: '/api/ping', port: 8080 }],
    [['CMD', 'wget', '--spider', '-q', 'http://localhost/'], { path: '/' }],
    [['CMD-SHELL', 'wget -qO- http://0.0.0.0:1337/_health'], { path: '/_health', port: 1337 }],
    [['CMD', '/usr/bin/curl', 'http://[::1]:9000'], { path: '/', port: 9000 }],
    [['CMD', 'pg_isready', '-U', 'postgres'], undefined],
    [['CMD', 'redis-cli', 'ping'], undefined],
    [['CMD-SHELL', 'curl -f localhost:3000/health'], { path: '/health', port: 3000 }],
    [['CMD-SHELL', 'curl --silent --fail localhost:9200/_cluster/health || exit 1'], { path: '/_cluster/health', port: 9200 }],
    [['CMD-SHELL', "curl -s --noproxy localhost localhost:3000/health | grep -q 'OK' || exit 1"], { path: '/health', port: 3000 }],
    [['CMD-SHELL', 'wget --no-verbose --tries=1 --spider http://localhost:8123/ping || exit 1'], { path: '/ping', port: 8123 }],
    [['CMD', 'wget', '-q', '--spider', '127.0.0.1:8080'], { path: '/', port: 8080 }],
    [['CMD-SHELL', 'curl -f http://api.example.com/health'], undefined],
    [['CMD-SHELL', 'curl -f api:3000/health'], undefined],
    [['CMD-SHELL', 'node healthcheck.js http://localhost:3000/health'], undefined],
  ])('%j', (test, expected) => expect(httpProbe(test)).toEqual(expected));
});

describe('secrets', () => {
  it.each([
    ['POSTGRES_PASSWORD', true],
    ['JWT_SECRET', true],
    ['API_TOKEN', true],
    ['SECRET_KEY', true],
    ['APP_KEYS', true],
    ['RABBITMQ_DEFAULT_PASS', true],
    ['API_TOKEN_SALT', true],
    ['PGPASSWORD', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['KEYCLOAK_URL', false],
    ['KEYCLOAK_CLIENT_ID', false],
    ['TOKEN_EXPIRY', false],
    ['CACHE_KEY_PREFIX', false],
    ['POSTGRES_PASSWORD_FILE', false],
    ['NEXT_PUBLIC_API_KEY', false],
    ['SSH_KEY_PATH', false],
  ] as const)('isSecretKey(%s) → %s', (key, expected) => expect(isSecretKey(key)).toBe(expected));

  it('finds passwords inside URLs', () => {
    expect(hasUrlPassword('postgres://u:pw@db:5432/x')).toBe(true);
    expect(hasUrlPassword('http://db:5432/x')).toBe(false);
    expect(hasUrlPassword('https://user@example.com')).toBe(false);
  });

  it('lists suspected secret keys once, skipping numbers and empties', () => {
    const r = readCompose(
      FILE,
      'services:\n  a:\n    image: x\n    environment: { DB_PASSWORD: pw, TOKEN: "", MAX_TOKENS: "100", URL: "redis://:pw@r:1" }\n  b:\n    image: y\n    environment: [DB_PASSWORD=pw, JWT_SECRET=s]\n',
    );
    expect(suspectedSecrets(r.compose!)).toEqual(['DB_PASSWORD', 'JWT_SECRET', 'URL']);
  });
});

describe('processName', () => {
  it.each([
    ['api', 'api'],
    ['strapi_cms', 'strapi-cms'],
    ['Web.Front', 'web-front'],
    ['a__b', 'a-b'],
  ])('%s → %s', (a, b) => expect(processName(a)).toBe(b));
});

describe('examples/qual-prod-compose (seed 002)', () => {
  const file = resolve(import.meta.dirname, '../../../examples/qual-prod-compose/docker-compose.yml');
  const read = readCompose(file);
  const compose = read.compose!;
  const envs = ['qual', 'prod'];
  const fleetDir = resolve(import.meta.dirname, '../../../examples/qual-prod-compose');
  const byEnv = Object.fromEntries(envs.map((e) => [e, composeToProcesses(compose, { project: 'odyssey', app: 'odyssey', env: e, fleetDir })]));
  const names = compose.services.map((s) => s.name);
  const hostnames = [...composeHostMap(compose, 'x', 'y').keys()];

  it('parses with no errors or warnings beyond the expected ones', () => {
    expect(read.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // rabbitmq's hostname is a network alias now (an info says the container's own hostname is Docker's).
    expect(read.diagnostics.filter((d) => d.severity === 'warning').map((d) => `${d.code} ${d.path}`)).toEqual([]);
  });

  it('has 14 services and yields 2 × 14 processes', () => {
    expect(names).toHaveLength(14);
    for (const e of envs) expect(byEnv[e]!.processes.map((p) => p.name)).toEqual(names);
    expect(envs.flatMap((e) => byEnv[e]!.processes)).toHaveLength(28);
  });

  it('leaves no bare service hostname in any env value or command', () => {
    const leftovers: string[] = [];
    for (const e of envs)
      for (const p of byEnv[e]!.processes) {
        const values = [
          ...Object.entries(p.env).map(([k, v]) => [k, v.kind === 'plain' ? v.value : ''] as const),
          ...(p.command ?? []).map((a) => ['argv', a] as const),
        ];
        for (const [k, v] of values) {
          // URL hosts and host:port / bare host values, checked independently of the rewriter.
          const hosts = [
            ...[...v.matchAll(/:\/\/(?:[^@/\s]*@)?([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!),
            ...[...v.matchAll(/(?:^|[\s,=])([A-Za-z0-9_.-]+):\d+\b/g)].map((m) => m[1]!),
            ...(/(HOST|URL|NODE)$/.test(k) ? [v] : []),
          ];
          for (const h of hosts) if (hostnames.includes(h)) leftovers.push(`${e}/${p.name}/${k}=${v}`);
        }
      }
    expect(leftovers).toEqual([]);
  });

  it('points each environment only at its own aliases', () => {
    for (const [e, other] of [
      ['qual', 'prod'],
      ['prod', 'qual'],
    ] as const) {
      const text = JSON.stringify(byEnv[e]!.processes.map((p) => [p.env, p.command]));
      expect(text).toContain(`odyssey-${e}-postgres`);
      expect(text).not.toContain(`odyssey-${other}-`);
    }
  });

  it('rewrites the hostnames seed 002 renamed by hand', () => {
    const env = (p: string, k: string) => {
      const v = byEnv.prod!.processes.find((x) => x.name === p)!.env[k]!;
      return v.kind === 'plain' ? v.value : '';
    };
    expect(env('user-management', 'DATABASE_HOST')).toBe('odyssey-prod-postgres');
    expect(env('api-gateway', 'REDIS_URL')).toBe('redis://odyssey-prod-redis:6379/0');
    expect(env('booking-service', 'RABBITMQ_URL')).toBe('amqp://odyssey:rabbit-dev-password@odyssey-prod-rabbitmq:5672/odyssey');
    expect(env('search-service', 'ELASTICSEARCH_NODE')).toBe('http://odyssey-prod-elasticsearch:9200');
    expect(env('api-gateway', 'USER_SERVICE_URL')).toBe('http://odyssey-prod-user-management:3000');
    expect(env('keycloak', 'KC_DB_URL')).toBe('jdbc:postgresql://odyssey-prod-postgres:5432/keycloak');
    expect(env('strapi-cms', 'DATABASE_CLIENT')).toBe('postgres');
    expect(env('keycloak', 'KC_DB_USERNAME')).toBe('keycloak');
    expect(env('public-fo', 'AUDIT_LOG_URL')).toBe('http://odyssey-prod-notification-service:3004/audit');
  });

  it('keeps volumes by compose name, depends_on and limits', () => {
    const prod = byEnv.prod!;
    expect(prod.volumes).toEqual(['elasticsearch-data', 'postgres-data', 'rabbitmq-data', 'redis-data', 'strapi-uploads', 'user-avatars']);
    const pg = prod.processes.find((p) => p.name === 'postgres')!;
    expect(pg).toMatchObject({ image: 'postgres:17', volumes: { 'postgres-data': '/var/lib/postgresql/data' }, memory: 1024 ** 3, cpus: 1, port: 5432 });
    const booking = prod.processes.find((p) => p.name === 'booking-service')!;
    expect(booking).toMatchObject({
      build: { context: './services/booking-service', dockerfile: 'Dockerfile' },
      replicas: 2,
      dependsOn: ['postgres', 'redis', 'rabbitmq'],
      port: 3002,
    });
    expect(booking.health).toEqual({
      path: '/health',
      command: ['CMD', 'wget', '-qO-', 'http://localhost:3002/health'],
      intervalMs: 10_000,
      timeoutMs: 3000,
      retries: 5,
      startPeriodMs: 20_000,
    });
  });

  it('suspects the passwords, keys and URLs with passwords', () => {
    expect(suspectedSecrets(compose)).toEqual([
      'ADMIN_JWT_SECRET',
      'API_TOKEN_SALT',
      'APP_KEYS',
      'DATABASE_PASSWORD',
      'DATABASE_URL',
      'JWT_SECRET',
      'KC_BOOTSTRAP_ADMIN_PASSWORD',
      'KC_DB_PASSWORD',
      'KEYCLOAK_CLIENT_SECRET',
      'POSTGRES_PASSWORD',
      'RABBITMQ_DEFAULT_PASS',
      'RABBITMQ_PASSWORD',
      'RABBITMQ_URL',
    ]);
  });
});
