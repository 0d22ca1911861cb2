// Which compose service the app's domains route to: the one a user would expose. Services with
// HTTP-looking published ports are candidates; a known database, broker, cache, search engine,
// object store or log pipeline (by image, service name or port) never is. Candidates are ranked
// by how public and how HTTP-like they look; `x-slipway: { web: true | false }` on a service
// overrides the choice. Pure: init writes the reasons as comments, import marks the processes.
import { httpProbe } from './health-probe.ts';
import type { ComposeService } from './types.ts';
import { DATA_IMAGES, imageName } from '../../model/data-images.ts';

export { imageName } from '../../model/data-images.ts';

/** Words in a service name that say "data store" (`db`, `zammad-postgresql`, `redis-cache`). */
const DATA_NAME_WORDS = new Set([
  'db',
  'database',
  'postgres',
  'postgresql',
  'pg',
  'mysql',
  'mariadb',
  'mongo',
  'mongodb',
  'redis',
  'valkey',
  'memcached',
  'elasticsearch',
  'es',
  'opensearch',
  'kafka',
  'zookeeper',
  'rabbitmq',
  'clickhouse',
  'minio',
  'logstash',
]);

/** Ports that are not HTTP: databases, brokers, gRPC, mail, beats, OTLP… */
const NON_HTTP_PORTS = new Set([
  21, 22, 25, 53, 110, 143, 465, 587, 993, 995, 1025, 1433, 1521, 1883, 2181, 2379, 3306, 4222, 4317, 5044, 5432, 5672, 6379, 7000, 7001, 7232, 7233, 7234,
  7235, 7236, 7237, 7687, 8883, 9042, 9092, 9093, 9300, 11211, 14250, 26257, 27017, 33060, 50000, 50051, 55670, 55679,
]);

/** Ports that usually serve HTTP. */
const HTTP_PORTS = new Set([80, 443, 3000, 3001, 4000, 5000, 5173, 5601, 8000, 8008, 8065, 8080, 8081, 8088, 8443, 8888, 9090]);

/** Words in a service name that say "the front door". */
const WEB_NAME_WORDS = new Set(['web', 'www', 'frontend', 'front', 'nginx', 'proxy', 'gateway', 'app', 'ui', 'caddy', 'traefik', 'http', 'server']);

export interface RouteCandidate {
  service: string;
  port: number;
  score: number;
  /** Why it looks public and HTTP, in words for a comment: `port 80 published, HTTP health check`. */
  why: string;
}

export interface RouteChoice {
  /** The service the app's domains route to, if any. */
  web?: RouteCandidate;
  /** Why that one (or why none). */
  reason: string;
  /** Other HTTP-looking services with published ports: each could get its own `domains:`. */
  others: RouteCandidate[];
  /** Services with ports that are never routed, with the reason (`postgres image`). */
  skipped: { service: string; why: string }[];
}

/** Why a service is a data store that must never get a public route, or undefined. */
export function dataServiceReason(s: ComposeService): string | undefined {
  const image = imageName(s.image);
  if (image !== undefined && DATA_IMAGES.has(image)) return `${image} image`;
  const word = s.name
    .toLowerCase()
    .split(/[-_.]+/)
    .find((w) => DATA_NAME_WORDS.has(w));
  if (word !== undefined && (image === undefined || !isWebImage(image))) return `service name "${s.name}"`;
  return undefined;
}

function isWebImage(image: string): boolean {
  return /^(nginx|caddy|traefik|httpd|envoy|haproxy)$/.test(image);
}

/** Picks the service the app's domains route to; see the file header. */
export function chooseRoute(services: readonly ComposeService[]): RouteChoice {
  const skipped: RouteChoice['skipped'] = [];
  const published: RouteCandidate[] = [];
  const fallback: RouteCandidate[] = [];
  let forced: RouteCandidate | undefined;
  for (const s of services) {
    const port = s.port ?? probePort(s);
    if (s.slipway?.web === false) {
      if (port !== undefined) skipped.push({ service: s.name, why: 'x-slipway: { web: false }' });
      continue;
    }
    if (port === undefined) continue;
    const data = dataServiceReason(s);
    if (s.slipway?.web === true) {
      forced = { service: s.name, port, score: Number.POSITIVE_INFINITY, why: 'x-slipway: { web: true }' };
      continue;
    }
    if (data !== undefined) {
      skipped.push({ service: s.name, why: data });
      continue;
    }
    if (NON_HTTP_PORTS.has(port)) {
      if (s.ports.length > 0) skipped.push({ service: s.name, why: `port ${port} is not HTTP` });
      continue;
    }
    const c = candidate(s, port);
    if (c.published) published.push(c.candidate);
    else if (c.httpLike) fallback.push(c.candidate);
  }
  const rank = (list: RouteCandidate[]) => list.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || a.i - b.i);
  const ranked = rank(published).map((x) => x.c);
  if (forced) return { web: forced, reason: 'its compose service says x-slipway: { web: true }', others: ranked, skipped };
  if (ranked.length > 0) {
    const [web, ...others] = ranked;
    return {
      web,
      reason:
        others.length > 0
          ? `it looks the most public of ${ranked.length} HTTP-looking services with published ports`
          : 'it is the one HTTP-looking service with a published port',
      others,
      skipped,
    };
  }
  const back = rank(fallback).map((x) => x.c);
  if (back.length > 0)
    return { web: back[0], reason: 'no service publishes an HTTP-looking port; it is the most HTTP-looking one (unpublished)', others: [], skipped };
  return { reason: 'no service publishes an HTTP-looking port', others: [], skipped };
}

function probePort(s: ComposeService): number | undefined {
  return s.health ? httpProbe(s.health.test)?.port : undefined;
}

function candidate(s: ComposeService, port: number): { candidate: RouteCandidate; published: boolean; httpLike: boolean } {
  let score = 0;
  const why: string[] = [];
  const mapping = s.ports.find((p) => p.container === port) ?? s.ports[0];
  const published = s.ports.length > 0;
  if (mapping?.published !== undefined) {
    const loopback = /^(127\.|\[::1\]|localhost)/.test(mapping.published);
    score += loopback ? 2 : 4;
    why.push(loopback ? `port ${port} published on loopback` : `port ${port} published`);
  } else if (published) {
    score += 2;
    why.push(`port ${port} published on a random host port`);
  }
  const probe = s.health ? httpProbe(s.health.test) : undefined;
  if (probe !== undefined) {
    score += 2;
    why.push('HTTP health check');
  }
  const host = hostRule(s.labels);
  if (host !== undefined) {
    // The site's front door is usually `www.` or the bare domain, not `api.`/`auth.`.
    score += host.startsWith('www.') || host.split('.').length <= 2 ? 4 : 2;
    why.push(`traefik rule ${host}`);
  }
  if (HTTP_PORTS.has(port)) {
    score += 1;
    if (why.length === 0) why.push(`port ${port}`);
  }
  const words = s.name.toLowerCase().split(/[-_.]+/);
  if (words.some((w) => WEB_NAME_WORDS.has(w))) {
    score += 1;
    why.push(`name "${s.name}"`);
  }
  const httpLike = probe !== undefined || HTTP_PORTS.has(port) || words.some((w) => WEB_NAME_WORDS.has(w));
  return { candidate: { service: s.name, port, score, why: why.join(', ') }, published, httpLike };
}

/** `traefik.http.routers.x.rule: Host(\`app.example.com\`)` → `app.example.com`. */
export function hostRule(labels: Record<string, string>): string | undefined {
  for (const [k, v] of Object.entries(labels)) {
    if (!/^traefik\.http\.routers\..+\.rule$/.test(k)) continue;
    const m = /Host\(`([^`]+)`\)/.exec(v);
    if (m) return m[1];
  }
  return undefined;
}
