// Table tests for service-hostname rewriting: what changes, and the tricky cases that must not.
import { describe, expect, it } from 'vitest';
import { isHostKey, rewriteHosts } from './hostnames.ts';

const hosts = new Map([
  ['postgres', 'shop-prod-postgres'],
  ['redis', 'shop-prod-redis'],
  ['rabbitmq', 'shop-prod-rabbitmq'],
  ['user-management', 'shop-prod-user-management'],
  ['user', 'shop-prod-user'],
  ['elasticsearch', 'shop-prod-elasticsearch'],
  ['api', 'shop-prod-api'],
]);

describe('rewriteHosts', () => {
  const cases: [key: string | undefined, input: string, expected: string][] = [
    // rewritten
    ['DATABASE_HOST', 'postgres', 'shop-prod-postgres'],
    ['PGHOST', 'postgres', 'shop-prod-postgres'],
    ['REDIS_ADDR', 'redis:6379', 'shop-prod-redis:6379'],
    ['WHATEVER', 'redis:6379', 'shop-prod-redis:6379'],
    ['USER_SERVICE_URL', 'http://user-management:3000', 'http://shop-prod-user-management:3000'],
    ['REDIS_URL', 'redis://redis:6379/0', 'redis://shop-prod-redis:6379/0'],
    ['RABBITMQ_URL', 'amqp://u:p@rabbitmq:5672/x', 'amqp://u:p@shop-prod-rabbitmq:5672/x'],
    ['DATABASE_URL', 'postgres://postgres:postgres@postgres:5432/postgres', 'postgres://postgres:postgres@shop-prod-postgres:5432/postgres'],
    ['JDBC_URL', 'jdbc:postgresql://postgres:5432/app?ssl=false', 'jdbc:postgresql://shop-prod-postgres:5432/app?ssl=false'],
    ['ELASTICSEARCH_HOSTS', '["http://elasticsearch:9200"]', '["http://shop-prod-elasticsearch:9200"]'],
    ['CORS_ORIGINS', 'http://api:8080,https://www.example.com', 'http://shop-prod-api:8080,https://www.example.com'],
    ['MONGO_URL', 'mongodb://redis:1,postgres:2/db', 'mongodb://shop-prod-redis:1,shop-prod-postgres:2/db'],
    ['BROKERS', 'rabbitmq:5672, redis:6379', 'shop-prod-rabbitmq:5672, shop-prod-redis:6379'],
    ['API_URL', 'http://api', 'http://shop-prod-api'],
    ['API_URL', 'http://api/v1?x=1#top', 'http://shop-prod-api/v1?x=1#top'],
    ['KC_DB_URL_HOST', 'postgres', 'shop-prod-postgres'],
    ['REDIS_HOST_NAME', 'redis', 'shop-prod-redis'],
    ['S3_URL', 's3://bucket?endpoint=elasticsearch:8333&region=x', 's3://bucket?endpoint=shop-prod-elasticsearch:8333&region=x'],
    ['STORAGE', 'filer?endpoint=redis:8333&peer=api:1', 'filer?endpoint=shop-prod-redis:8333&peer=shop-prod-api:1'],
    ['BACKENDS', 'a=api&b=redis', 'a=api&b=redis'],
    ['BACKEND_URLS', 'a=api&b=redis', 'a=shop-prod-api&b=shop-prod-redis'],
    // left alone
    ['DATABASE_CLIENT', 'postgres', 'postgres'],
    ['POSTGRES_USER', 'postgres', 'postgres'],
    ['CACHE_DRIVER', 'redis', 'redis'],
    ['POSTGRES_PASSWORD', 'postgres_password', 'postgres_password'],
    ['VOLUME', 'postgres-data', 'postgres-data'],
    ['DATA_DIR', '/var/lib/postgres/data', '/var/lib/postgres/data'],
    ['DATABASE_HOST', 'db.postgres.example.com', 'db.postgres.example.com'],
    ['DATABASE_HOST', 'postgres.example.com', 'postgres.example.com'],
    ['DATABASE_HOST', 'my-postgres', 'my-postgres'],
    ['SITE_URL', 'https://example.com/api/users', 'https://example.com/api/users'],
    ['SITE_URL', 'https://api.example.com', 'https://api.example.com'],
    ['DOCS_URL', 'https://example.com/redis', 'https://example.com/redis'],
    ['GREETING', 'hello user', 'hello user'],
    ['REDIS_IMAGE', 'redis:7', 'redis:7'],
    ['LOGIN', 'http://user:secret@api:80/', 'http://user:secret@shop-prod-api:80/'],
    ['ALREADY', 'http://shop-prod-api:80', 'http://shop-prod-api:80'],
    ['EMAIL', 'admin@postgres.test', 'admin@postgres.test'],
    // commands (no key): only URLs and host:port
    [undefined, '--broker=rabbitmq:5672', '--broker=shop-prod-rabbitmq:5672'],
    [undefined, 'postgres', 'postgres'],
    [undefined, 'http://elasticsearch:9200', 'http://shop-prod-elasticsearch:9200'],
  ];
  it.each(cases)('%s=%s → %s', (key, input, expected) => {
    expect(rewriteHosts(input, hosts, key).value).toBe(expected);
  });

  it('reports a bare service name left alone under a non-host key', () => {
    expect(rewriteHosts('postgres', hosts, 'DATABASE_CLIENT').keptBare).toEqual(['postgres']);
    expect(rewriteHosts('postgres', hosts, 'DATABASE_HOST').keptBare).toEqual([]);
  });

  it('finds the URL around a name after a long prefix, and scheme rules hold (1+2+, not a digit-only scheme)', () => {
    const long = 'x'.repeat(50_000);
    expect(rewriteHosts(`${long} http://user@postgres:5432 redis:6379`, hosts, 'X').value).toBe(
      `${long} http://user@shop-prod-postgres:5432 shop-prod-redis:6379`,
    );
    expect(rewriteHosts('git+ssh://postgres/x', hosts, 'X').value).toBe('git+ssh://shop-prod-postgres/x');
    expect(rewriteHosts('12://postgres', hosts, 'X').value).toBe('12://postgres');
    expect(rewriteHosts('http://a.b@x/postgres', hosts, 'X').value).toBe('http://a.b@x/postgres');
  });

  it('prefers the longest service name (user-management over user)', () => {
    expect(rewriteHosts('user-management:3000 user:1', hosts, 'X').value).toBe('shop-prod-user-management:3000 shop-prod-user:1');
  });
});

describe('isHostKey', () => {
  it.each([
    ['DATABASE_HOST', true],
    ['PGHOST', true],
    ['REDIS_URL', true],
    ['ELASTICSEARCH_NODES', true],
    ['KC_HOSTNAME', true],
    ['SMTP_SERVER', true],
    ['DATABASE_CLIENT', false],
    ['POSTGRES_USER', false],
    ['SERVER_NAME', false],
    ['POSTGRES_DB', false],
  ] as const)('%s → %s', (key, expected) => expect(isHostKey(key)).toBe(expected));
});
