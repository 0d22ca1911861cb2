// Images that hold data or move messages (databases, brokers, caches, search engines, object
// stores, log pipelines), by image name: the last path segment without tag or digest. Compose
// import never routes a public domain to one (config/compose/routing.ts); desire replaces the
// stateful ones stop-first, so two of them never run on one data volume (plan/desire/stateful.ts).

/** Image names that hold data or move messages: never routed. */
export const DATA_IMAGES: ReadonlySet<string> = new Set([
  'postgres',
  'postgresql',
  'postgis',
  'pgvector',
  'timescaledb',
  'mysql',
  'mysql-server',
  'mariadb',
  'percona',
  'percona-server',
  'mongo',
  'mongodb',
  'redis',
  'redismod',
  'redis-stack',
  'redis-stack-server',
  'valkey',
  'keydb',
  'dragonfly',
  'memcached',
  'rabbitmq',
  'kafka',
  'cp-kafka',
  'cp-zookeeper',
  'zookeeper',
  'elasticsearch',
  'opensearch',
  'solr',
  'meilisearch',
  'typesense',
  'clickhouse',
  'clickhouse-server',
  'cassandra',
  'scylla',
  'couchdb',
  'neo4j',
  'influxdb',
  'mssql-server',
  'cockroach',
  'etcd',
  'nats',
  'activemq',
  'pulsar',
  'minio',
  'seaweedfs',
  'logstash',
  'fluentd',
  'fluent-bit',
  'opentelemetry-collector',
  'opentelemetry-collector-contrib',
  'mosquitto',
  'qdrant',
  'weaviate',
  'milvus',
]);

/**
 * Data images that keep no state of their own worth protecting: a second copy for a few seconds
 * harms nothing (a cache both copies fill, a pipeline both copies forward), so they are replaced
 * start-first like any process unless they own a data volume.
 */
const STATELESS_DATA_IMAGES: ReadonlySet<string> = new Set([
  'memcached',
  'logstash',
  'fluentd',
  'fluent-bit',
  'opentelemetry-collector',
  'opentelemetry-collector-contrib',
]);

/** `docker.io/library/postgres:17@sha256:…` → `postgres`; undefined for `${IMAGE}` leftovers. */
export function imageName(image: string | undefined): string | undefined {
  if (image === undefined || image.includes('$')) return undefined;
  const noDigest = image.split('@')[0]!;
  const last = noDigest.split('/').pop()!;
  return last.split(':')[0]!.toLowerCase();
}

/** True for a database, broker or store whose two copies must never run at once (postgres, redis, kafka…). */
export function isStatefulImage(image: string | undefined): boolean {
  const name = imageName(image);
  return name !== undefined && DATA_IMAGES.has(name) && !STATELESS_DATA_IMAGES.has(name);
}
