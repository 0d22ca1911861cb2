// Which compose service gets the app's domains: table tests over small compose files shaped like
// the real ones (test/corpus/compose holds the full files).
import { describe, expect, it } from 'vitest';
import { readCompose } from './read.ts';
import { chooseRoute, dataServiceReason, imageName } from './routing.ts';

function choose(text: string) {
  const r = readCompose('/repo/docker-compose.yml', text, { readFile: () => undefined });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { choice: chooseRoute(r.compose!.services), compose: r.compose! };
}

describe('chooseRoute', () => {
  it.each([
    ['the web app over the database published first', 'db: { image: "mysql:8", ports: ["3306:3306"] }\n  app: { image: "wordpress", ports: ["80:80"] }', 'app'],
    [
      'kibana over elasticsearch and logstash',
      'elasticsearch: { build: ./es, ports: ["9200:9200"] }\n  logstash: { image: logstash:8, ports: ["5044:5044", "9600:9600"] }\n  kibana: { image: kibana:8, ports: ["5601:5601"] }',
      'kibana',
    ],
    [
      'a public port over a loopback one',
      'worker: { image: w, ports: ["127.0.0.1:3030:3030"] }\n  web: { image: w, ports: ["3000:3000"] }\n  minio: { image: minio/minio, ports: ["9090:9000"] }',
      'web',
    ],
    [
      'an HTTP health check and a web name break a loopback tie',
      'streaming: { image: s, ports: ["127.0.0.1:4000:4000"] }\n  web: { image: m, ports: ["127.0.0.1:3000:3000"], healthcheck: { test: "curl -f localhost:3000/health" } }',
      'web',
    ],
    [
      'the proxy with a fixed host port over random host ports',
      'frontend: { image: f, ports: ["8080"] }\n  frontend-proxy: { image: envoy, ports: ["8080:8080"] }',
      'frontend-proxy',
    ],
    [
      'the UI over gRPC ports',
      'temporal: { image: temporalio/auto-setup, ports: ["7233:7233"] }\n  temporal-ui: { image: temporalio/ui, ports: ["8080:8080"] }',
      'temporal-ui',
    ],
    [
      'an unpublished service with an HTTP health check when nothing is published',
      'netbox: { image: netbox, healthcheck: { test: "curl -f http://localhost:8080/login/" } }\n  postgres: { image: postgres:16 }',
      'netbox',
    ],
  ])('picks %s', (_what, services, expected) => {
    expect(choose(`services:\n  ${services}\n`).choice.web?.service).toBe(expected);
  });

  it('routes nothing when only databases and brokers publish ports, and says why', () => {
    const { choice } = choose(
      'services:\n  db: { image: "postgres:17", ports: ["5432:5432"] }\n  redis: { image: "docker.io/valkey/valkey:8", ports: ["6379:6379"] }\n  q: { image: rabbitmq:3, ports: ["15672:15672"] }\n',
    );
    expect(choice.web).toBeUndefined();
    expect(choice.reason).toBe('no service publishes an HTTP-looking port');
    expect(choice.skipped).toEqual([
      { service: 'db', why: 'postgres image' },
      { service: 'redis', why: 'valkey image' },
      { service: 'q', why: 'rabbitmq image' },
    ]);
  });

  it('lists the other HTTP-looking published services, each with why', () => {
    const { choice } = choose('services:\n  app: { image: a, ports: ["80:80"] }\n  api: { image: b, ports: ["8000:8000"] }\n');
    expect(choice.web).toMatchObject({ service: 'app', port: 80, why: 'port 80 published, name "app"' });
    expect(choice.others.map((o) => o.service)).toEqual(['api']);
  });
});

describe('dataServiceReason', () => {
  it.each([
    ['postgres:17', 'x', 'postgres image'],
    ['ghcr.io/immich-app/postgres:14-vectorchord0.4.3@sha256:abc', 'database', 'postgres image'],
    ['confluentinc/cp-kafka:7.6.1', 'kafka', 'cp-kafka image'],
    ['docker.io/clickhouse/clickhouse-server:25.12', 'ch', 'clickhouse-server image'],
    ['cgr.dev/chainguard/minio', 'storage', 'minio image'],
    [undefined, 'elasticsearch', 'service name "elasticsearch"'],
    ['my/custom', 'zammad-postgresql', 'service name "zammad-postgresql"'],
    ['nginx:1.27', 'db-proxy', undefined],
    ['wordpress', 'wordpress', undefined],
  ])('%s named %s → %s', (image, name, expected) => {
    const svc = {
      name,
      ports: [],
      expose: [],
      volumes: [],
      networks: [],
      hostAliases: [],
      dependsOn: [],
      labels: {},
      environment: {},
      envPos: {},
      pos: { file: 'f', line: 1, col: 1 },
    };
    expect(dataServiceReason(image === undefined ? svc : { ...svc, image })).toBe(expected);
  });

  it('reads the image name without registry, tag or digest', () => {
    expect(imageName('docker.elastic.co/elasticsearch/elasticsearch:8.1@sha256:0')).toBe('elasticsearch');
    expect(imageName('${IMAGE}:1')).toBeUndefined();
  });
});
