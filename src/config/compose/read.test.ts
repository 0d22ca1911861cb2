// readCompose: every supported key, unsupported keys as warnings, and malformed input as exact
// diagnostics (code, path, line:col).
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { parseShortPort, readCompose } from './read.ts';
import type { ComposeService } from './types.ts';

const FILE = '/virtual/app/docker-compose.yml';

function read(text: string, files: Record<string, string> = {}, vars: Record<string, string> = {}) {
  return readCompose(FILE, text, { vars, readFile: (p) => files[p] });
}

/** Parses one service `svc` whose body is `body` (indented by the caller). */
function service(body: string, extra = ''): { svc?: ComposeService; diagnostics: Diagnostic[] } {
  const r = read(`services:\n  svc:\n    image: app:1\n${body}\n  other:\n    image: other:1\n${extra}`);
  return { svc: r.compose?.services.find((s) => s.name === 'svc'), diagnostics: r.diagnostics };
}

function brief(d: Diagnostic): string {
  return `${d.severity} ${d.code} ${d.path} @${d.pos?.line}:${d.pos?.col}`;
}

/** The mounts without their key path and position. */
const mountsOf = (s: ComposeService) => s.volumes.map(({ path: _path, pos: _pos, ...m }) => m);

describe('readCompose: supported keys', () => {
  const cases: [name: string, body: string, pick: (s: ComposeService) => unknown, expected: unknown][] = [
    ['image', '', (s) => s.image, 'app:1'],
    ['build string', '    build: ./api', (s) => s.build, { context: './api', dockerfile: 'Dockerfile' }],
    [
      'build map',
      '    build: { context: ./api, dockerfile: docker/Prod.Dockerfile }',
      (s) => s.build,
      { context: './api', dockerfile: 'docker/Prod.Dockerfile' },
    ],
    ['build map without context', '    build: { dockerfile: Dockerfile.prod }', (s) => s.build, { context: '.', dockerfile: 'Dockerfile.prod' }],
    [
      'command string, shell words',
      `    command: node server.js --name "my app" --x='a b' c\\ d`,
      (s) => s.command,
      ['node', 'server.js', '--name', 'my app', '--x=a b', 'c d'],
    ],
    ['command list', '    command: ["npm", "run", "start", 3]', (s) => s.command, ['npm', 'run', 'start', '3']],
    ['entrypoint', '    entrypoint: /docker-entrypoint.sh --verbose', (s) => s.entrypoint, ['/docker-entrypoint.sh', '--verbose']],
    ['environment map', '    environment:\n      A: "1"\n      B: 2\n      C: true\n      D: ""', (s) => s.environment, { A: '1', B: '2', C: 'true', D: '' }],
    ['environment list', '    environment:\n      - A=1\n      - B=x=y\n      - C=', (s) => s.environment, { A: '1', B: 'x=y', C: '' }],
    [
      'ports: first container port is the process port',
      '    ports: ["8080:3000", "9229:9229"]',
      (s) => [s.port, s.ports],
      [
        3000,
        [
          { container: 3000, published: '8080', protocol: 'tcp' },
          { container: 9229, published: '9229', protocol: 'tcp' },
        ],
      ],
    ],
    [
      'ports long syntax',
      '    ports:\n      - target: 1337\n        published: "8000"\n        host_ip: 127.0.0.1',
      (s) => s.ports,
      [{ container: 1337, published: '127.0.0.1:8000', protocol: 'tcp' }],
    ],
    ['ports number', '    ports: [3000]', (s) => s.ports, [{ container: 3000, protocol: 'tcp' }]],
    ['expose when no ports', '    expose: ["8080", 9000]', (s) => [s.port, s.expose], [8080, [8080, 9000]]],
    ['ports win over expose', '    expose: [9000]\n    ports: ["3000"]', (s) => s.port, 3000],
    ['named volume, ro', '    volumes: ["data:/var/data:ro"]', (s) => mountsOf(s), [{ source: 'data', target: '/var/data', readOnly: true, kind: 'volume' }]],
    ['bind mount', '    volumes: ["./conf:/etc/app"]', (s) => mountsOf(s), [{ source: './conf', target: '/etc/app', readOnly: false, kind: 'bind' }]],
    [
      'long volume syntax',
      '    volumes:\n      - type: volume\n        source: data\n        target: /data\n        read_only: true',
      (s) => mountsOf(s),
      [{ source: 'data', target: '/data', readOnly: true, kind: 'volume' }],
    ],
    ['networks list', '    networks: [front, back]', (s) => s.networks, ['front', 'back']],
    [
      'networks map with aliases',
      '    networks:\n      back:\n        aliases: [db, primary]',
      (s) => [s.networks, s.hostAliases],
      [['back'], ['db', 'primary']],
    ],
    ['depends_on list', '    depends_on: [other]', (s) => s.dependsOn, ['other']],
    ['depends_on map', '    depends_on:\n      other: { condition: service_healthy }', (s) => s.dependsOn, ['other']],
    [
      'healthcheck',
      '    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost:3000/health"]\n      interval: 1m30s\n      timeout: 500ms\n      retries: 3\n      start_period: 40s',
      (s) => s.health,
      { test: ['CMD', 'curl', '-f', 'http://localhost:3000/health'], intervalMs: 90_000, timeoutMs: 500, retries: 3, startPeriodMs: 40_000 },
    ],
    ['healthcheck string test', '    healthcheck:\n      test: pg_isready -U postgres', (s) => s.health, { test: ['CMD-SHELL', 'pg_isready -U postgres'] }],
    ['healthcheck disabled', '    healthcheck: { disable: true }', (s) => s.health, undefined],
    ['healthcheck NONE', '    healthcheck: { test: ["NONE"] }', (s) => s.health, undefined],
    [
      'deploy limits and replicas',
      '    deploy:\n      replicas: 3\n      resources:\n        limits: { memory: 512M, cpus: "0.5" }',
      (s) => [s.replicas, s.memory, s.cpus],
      [3, 512 * 1024 ** 2, 0.5],
    ],
    ['mem_limit and cpus', '    mem_limit: 1g\n    cpus: 1.5', (s) => [s.memory, s.cpus], [1024 ** 3, 1.5]],
    ['deploy wins over mem_limit', '    mem_limit: 1g\n    deploy: { resources: { limits: { memory: 256M } } }', (s) => s.memory, 256 * 1024 ** 2],
    ['labels map', '    labels:\n      com.example.team: web', (s) => s.labels, { 'com.example.team': 'web' }],
    ['labels list', '    labels: ["a=1", "b"]', (s) => s.labels, { a: '1', b: '' }],
    ['container_name becomes a host alias', '    container_name: po-app-prod', (s) => s.hostAliases, ['po-app-prod']],
    ['stop_grace_period', '    stop_grace_period: 1m', (s) => s.stopGracePeriodMs, 60_000],
    ['restart is ignored', '    restart: unless-stopped', (s) => s.image, 'app:1'],
    [
      'interpolation default',
      '    environment:\n      A: ${NOPE:-fallback}\n      B: $${LITERAL}\n      C: ${EMPTY-}x',
      (s) => s.environment,
      { A: 'fallback', B: '${LITERAL}', C: 'x' },
    ],
  ];
  it.each(cases)('%s', (_name, body, pick, expected) => {
    const { svc, diagnostics } = service(body, body.includes('data') ? 'volumes:\n  data: {}\n' : 'networks:\n  front: {}\n  back: {}\n');
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(pick(svc!)).toEqual(expected);
  });

  it('records the service position', () => {
    const { svc } = service('');
    expect(svc!.pos).toEqual({ file: FILE, line: 2, col: 3 });
  });

  it('reads top-level volumes and networks, ignores version and x- keys', () => {
    const r = read(
      'version: "3.8"\nx-common: &c\n  image: a:1\nservices:\n  a:\n    <<: *c\n    x-note: hi\nvolumes:\n  data:\n  logs: {}\nnetworks:\n  back:\n',
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.compose).toMatchObject({ file: FILE, volumes: ['data', 'logs'], networks: ['back'], services: [{ name: 'a', image: 'a:1' }] });
  });

  it('applies merge keys below explicit keys', () => {
    const r = read('x-base: &base\n  image: base:1\n  environment: { A: "1" }\nservices:\n  a:\n    <<: *base\n    environment: { B: "2" }\n');
    expect(r.compose!.services[0]).toMatchObject({ image: 'base:1', environment: { B: '2' } });
  });

  it('interpolates from the given variables only; an unset one becomes empty, as in compose', () => {
    const r = read('services:\n  a:\n    image: app:${TAG:-latest}\n    environment: { X: "${HOME}" }\n', {}, { TAG: 'v2' });
    expect(r.compose!.services[0]!.image).toBe('app:v2');
    expect(r.compose!.services[0]!.environment.X).toBe('');
    expect(r.diagnostics.map(brief)).toEqual(['warning unset-variable services/a/environment/X @4:23']);
    expect(r.diagnostics[0]!.message).toContain('HOME is not set');
  });
});

describe('readCompose: warnings and infos', () => {
  const cases: [name: string, body: string, expected: string[]][] = [
    ['unsupported service key', '    security_opt: [no-new-privileges]', ['warning unsupported-compose-key services/svc/security_opt @4:5']],
    // What a bind becomes is decided when it is converted (service-binds.ts), not when it is read.
    ['bind mount', '    volumes: ["./conf:/etc/app:ro"]', []],
    ['anonymous volume', '    volumes: ["/app/node_modules"]', ['warning anonymous-volume services/svc/volumes/0 @4:15']],
    ['container_name', '    container_name: x', ['info container-name-ignored services/svc/container_name @4:21']],
    ['published port', '    ports: ["5432:5432"]', ['info port-not-published services/svc/ports/0 @4:13']],
    ['unset variable', '    environment: { A: "${NOPE}" }', ['warning unset-variable services/svc/environment/A @4:23']],
    ['env without value', '    environment: [NOVALUE]', ['warning env-from-shell services/svc/environment/0 @4:19']],
    ['undeclared volume', '    volumes: ["undeclared:/x"]', ['warning undefined-volume services/svc/volumes @2:3']],
    [
      'deploy restart_policy',
      '    deploy: { restart_policy: { condition: any } }',
      ['warning unsupported-compose-key services/svc/deploy/restart_policy @4:15'],
    ],
    ['build args', '    build: { context: ., args: { A: "1" } }', ['warning unsupported-compose-key services/svc/build/args @4:26']],
    [
      'completed dependency',
      '    depends_on: { other: { condition: service_completed_successfully } }',
      ['info depends-on-completed services/svc/depends_on/other/condition @4:39'],
    ],
  ];
  it.each(cases)('%s', (_name, body, expected) => {
    const r = service(body);
    expect(r.diagnostics.map(brief)).toEqual(expected);
    for (const d of r.diagnostics) expect(d.hint).toBeTruthy();
    expect(r.svc).toBeDefined();
  });

  it('warns on unsupported top-level keys; an external network is noted on import (service-names.ts), where its users are known', () => {
    const r = read('services:\n  a:\n    image: a:1\nsecrets:\n  s: { file: ./s }\nnetworks:\n  traefik:\n    external: true\nswarm_only: {}\n');
    expect(r.diagnostics.map(brief)).toEqual(['warning unsupported-compose-key swarm_only @9:1']);
    expect(r.compose?.networkSettings).toEqual({ traefik: { external: 'traefik', pos: { file: FILE, line: 7, col: 3 } } });
  });
});

describe('readCompose: malformed input', () => {
  const cases: [name: string, text: string, expected: string[]][] = [
    ['bad YAML', 'services:\n  a:\n    image: "unterminated\n', ['error yaml-syntax  @4:1']],
    ['tab-broken indentation', 'services:\n  a:\n   image: x\n  - b\n', ['error yaml-syntax  @4:1']],
    ['duplicate key', 'services:\n  a:\n    image: x\n    image: y\n', ['error duplicate-key  @4:5']],
    ['not a map', '- a\n- b\n', ['error bad-type  @1:1']],
    ['no services', 'volumes: {}\n', ['error no-services services @1:1']],
    ['services is a list', 'services:\n  - a\n', ['error bad-type services @2:3']],
    ['service is a string', 'services:\n  a: nginx\n', ['error bad-type services/a @2:6']],
    ['no image nor build', 'services:\n  a:\n    command: x\n', ['error missing-image services/a @2:3']],
    ['image is a list', 'services:\n  a:\n    image: [x]\n', ['error bad-type services/a/image @3:12', 'error missing-image services/a @2:3']],
    [
      'bad duration',
      'services:\n  a:\n    image: x\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 10 seconds\n',
      ['error bad-duration services/a/healthcheck/interval @6:17'],
    ],
    [
      'duration without unit',
      'services:\n  a:\n    image: x\n    healthcheck: { interval: 30 }\n',
      ['error bad-duration services/a/healthcheck/interval @4:30'],
    ],
    ['retries not a number', 'services:\n  a:\n    image: x\n    healthcheck: { retries: many }\n', ['error bad-type services/a/healthcheck/retries @4:29']],
    [
      'bad memory',
      'services:\n  a:\n    image: x\n    deploy: { resources: { limits: { memory: lots } } }\n',
      ['error bad-size services/a/deploy/resources/limits/memory @4:46'],
    ],
    ['bad cpus', 'services:\n  a:\n    image: x\n    cpus: half\n', ['error bad-cpus services/a/cpus @4:11']],
    ['bad port', 'services:\n  a:\n    image: x\n    ports: ["80:http"]\n', ['error bad-port services/a/ports/0 @4:13']],
    ['port out of range', 'services:\n  a:\n    image: x\n    ports: ["70000"]\n', ['error bad-port services/a/ports/0 @4:13']],
    ['ports is a string', 'services:\n  a:\n    image: x\n    ports: "80:80"\n', ['error bad-type services/a/ports @4:12']],
    [
      'relative mount target',
      'services:\n  a:\n    image: x\n    volumes: ["data:relative"]\nvolumes: { data: {} }\n',
      ['error bad-volume services/a/volumes/0 @4:15'],
    ],
    ['unknown dependency', 'services:\n  a:\n    image: x\n    depends_on: [db]\n', ['error unknown-dependency services/a/depends_on/db @4:18']],
    ['unterminated quote in command', 'services:\n  a:\n    image: x\n    command: echo "hi\n', ['error bad-command services/a/command @4:14']],
    ['environment is a string', 'services:\n  a:\n    image: x\n    environment: A=1\n', ['error bad-type services/a/environment @4:18']],
    ['bad service name', 'services:\n  "a b":\n    image: x\n', ['error bad-name services/a b @2:3']],
  ];
  it.each(cases)('%s', (_name, text, expected) => {
    const r = read(text);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(brief)).toEqual(expected);
    expect(r.compose).toBeUndefined();
    for (const d of r.diagnostics) expect(d.pos?.file).toBe(FILE);
  });

  it('reports every problem at once', () => {
    const r = read('services:\n  a:\n    image: x\n    cpus: half\n    mem_limit: lots\n  b:\n    command: y\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['bad-cpus', 'bad-size', 'missing-image']);
  });

  it('reports a missing compose file', () => {
    const r = readCompose('/nonexistent/docker-compose.yml');
    expect(r.diagnostics.map(brief)).toEqual(['error compose-not-found  @1:1']);
  });
});

describe('readCompose: env_file', () => {
  const dir = resolve(import.meta.dirname, '../../../test/fixtures/config/compose/env-files');
  const r = readCompose(resolve(dir, 'docker-compose.yml'));

  it('merges env files in order, environment: last', () => {
    expect(r.compose!.services[0]!.environment).toEqual({
      TZ: 'UTC',
      LOG_LEVEL: 'debug',
      GREETING: 'hello\nworld',
      LITERAL: 'no ${EXPANSION} here',
      INLINE: 'value',
      HASH: 'abc#def',
      EMPTY: '',
      DATABASE_URL: 'postgres://app:devpass@postgres:5432/app',
      MULTI: 'line one\nline two',
      PORT: '3000',
    });
  });

  it('points problems at the env file line', () => {
    expect(r.diagnostics.map((d) => `${d.code} ${d.pos!.file.split('/').pop()}:${d.pos!.line}`)).toEqual(['env-file-line api.env:3']);
  });

  it('errors on a missing required env file', () => {
    const m = read('services:\n  a:\n    image: x\n    env_file: [.env.prod]\n');
    expect(m.diagnostics.map(brief)).toEqual(['error env-file-not-found services/a/env_file/0 @4:16']);
    expect(m.diagnostics[0]!.message).toContain('/virtual/app/.env.prod');
  });

  it('reads env files relative to the compose file', () => {
    const m = read('services:\n  a:\n    image: x\n    env_file: conf/app.env\n', { '/virtual/app/conf/app.env': 'A=1\n' });
    expect(m.compose!.services[0]!.environment).toEqual({ A: '1' });
    expect(m.compose!.services[0]!.envPos.A).toEqual({ file: '/virtual/app/conf/app.env', line: 1, col: 1 });
  });
});

describe('parseShortPort', () => {
  it.each([
    ['3000', { container: 3000, protocol: 'tcp' }],
    ['8080:3000', { container: 3000, published: '8080', protocol: 'tcp' }],
    ['127.0.0.1:8080:3000', { container: 3000, published: '127.0.0.1:8080', protocol: 'tcp' }],
    ['[::1]:8080:3000', { container: 3000, published: '[::1]:8080', protocol: 'tcp' }],
    ['53:53/udp', { container: 53, published: '53', protocol: 'udp' }],
    ['3000-3005:3000-3005', { container: 3000, published: '3000-3005', protocol: 'tcp' }],
    ['127.0.0.1::3000', { container: 3000, published: '127.0.0.1:', protocol: 'tcp' }],
    ['http', undefined],
    ['80/sctp', undefined],
  ])('%s', (text, expected) => expect(parseShortPort(text)).toEqual(expected));
});
