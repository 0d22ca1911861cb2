// The compose corpus: 20 public, real-world compose files (test/corpus/compose/*, 2 to 57
// services; sources and licences in each SOURCE.md) imported as a new user would, with
// `slipway init --from FILE --envs staging,prod`, then loaded through the real loader, desired and
// exported per environment. For each one:
// - no errors, from init or from the loader;
// - every warning is expected: the golden file expected-warnings.txt beside the compose file names
//   each one (code, key path, message); `vitest -u` rewrites it, and the diff is the review;
// - both environments' compose exports are valid against the compose specification's own JSON
//   schema (test/corpus/compose-spec.schema.json, checked with ajv), and Debian's docker-compose
//   (1.29, `apt-get install docker-compose`; missing, the test fails) accepts them with `config`;
// - the environment's domain routes to the service a user would expose, and never to a database,
//   broker, cache, search engine or object store.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Ajv, type ErrorObject } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { initFromCompose } from '../src/config/compose/init-from-compose.ts';
import { loadFleet } from '../src/config/load.ts';
import type { Diagnostic } from '../src/diag/diagnostic.ts';
import { desire } from '../src/plan/desire/desire.ts';
import type { DesiredState } from '../src/plan/desire/desired.ts';
import { renderCompose } from '../src/render/compose.ts';

const CORPUS = resolve(import.meta.dirname, 'corpus/compose');
const ENVS = ['staging', 'prod'] as const;

interface Entry {
  /** The compose file `init --from` is given; `also` files are merged after it (compose: [a, b]). */
  file: string;
  also?: string[];
  /** The process the environment's domain routes to, or null when nothing should be routed. */
  web: string | null;
  /** What `init` says it routes, seeing only `file` (default: web). */
  initWeb?: string | null;
}

const ENTRIES: Record<string, Entry> = {
  'awesome-flask-redis': { file: 'compose.yaml', web: 'web' },
  'awesome-wordpress-mysql': { file: 'compose.yaml', web: 'wordpress' },
  'awesome-nginx-flask-mysql': { file: 'compose.yaml', web: 'proxy' },
  'awesome-react-express-mongodb': { file: 'compose.yaml', web: 'frontend' },
  'awesome-nginx-nodejs-redis': { file: 'compose.yaml', web: 'nginx' },
  'awesome-elasticsearch-logstash-kibana': { file: 'compose.yaml', web: 'kibana' },
  // Mattermost's docs run `docker compose -f docker-compose.yml -f docker-compose.nginx.yml`.
  mattermost: { file: 'docker-compose.yml', also: ['docker-compose.nginx.yml'], web: 'nginx', initWeb: null },
  'docker-elk': { file: 'docker-compose.yml', web: 'kibana' },
  kong: { file: 'docker-compose.yml', web: 'kong' },
  temporal: { file: 'docker-compose.yml', web: 'temporal-ui' },
  'temporal-multirole': { file: 'docker-compose-multirole.yaml', web: 'temporal-ui' },
  mastodon: { file: 'docker-compose.yml', web: 'web' },
  'paperless-ngx': { file: 'docker-compose.postgres-tika.yml', web: 'webserver' },
  langfuse: { file: 'docker-compose.yml', web: 'langfuse-web' },
  netbox: { file: 'docker-compose.yml', web: 'netbox' },
  zammad: { file: 'docker-compose.yml', web: 'zammad-nginx' },
  frappe: { file: 'pwd.yml', web: 'frontend' },
  'otel-demo': { file: 'compose.yaml', web: 'frontend-proxy' },
  appwrite: { file: 'docker-compose.yml', web: 'traefik' },
  sentry: { file: 'docker-compose.yml', web: 'nginx' },
};

/** Images and ports that hold data or move messages: a public route to one is a bug. */
const DATA_IMAGE =
  /(^|\/)(postgres|postgresql|mysql|mariadb|mongo|redis|redismod|valkey|rabbitmq|cp-kafka|kafka|cp-zookeeper|zookeeper|elasticsearch|opensearch|memcached|clickhouse-server|clickhouse|minio|logstash)(:|@|$)/;
const DATA_PORTS = new Set([3306, 5432, 6379, 27017, 9200, 9300, 5672, 9092, 2181, 11211, 8123, 9000]);

const run = promisify(execFile);
const DOCKER_COMPOSE = '/usr/bin/docker-compose';
const exportsDir = mkdtempSync(join(tmpdir(), 'slipway-corpus-'));
afterAll(() => rmSync(exportsDir, { recursive: true, force: true }));

const schema = JSON.parse(readFileSync(resolve(CORPUS, '../compose-spec.schema.json'), 'utf8'));
// The schema names its meta-schema by an https URL ajv does not ship; the schema itself is trusted.
const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);

function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`,
  );
}

/** One golden line per distinct warning: `code path: message`, the corpus folder spelled <dir>. */
function warningLines(diags: readonly Diagnostic[], dir: string): string {
  const lines = new Set(diags.filter((d) => d.severity === 'warning').map((d) => `${d.code} ${d.path}: ${d.message}`.split(dir).join('<dir>')));
  return `${[...lines].sort().join('\n')}\n`;
}

function routedProcesses(d: DesiredState, env: string): { process: string; image: string; port: number }[] {
  const out: { process: string; image: string; port: number }[] = [];
  for (const s of d.servers)
    for (const r of s.routes) {
      if (r.env !== env) continue;
      const [alias, port] = r.upstream.split(':') as [string, string];
      const c = s.containers.find((x) => x.role === 'app' && x.env === env && `${x.app}-${x.env}-${x.process}` === alias)!;
      out.push({ process: c.process!, image: c.image, port: Number(port) });
    }
  return out;
}

/** One corpus entry imported as `init --from` would, loaded, desired. */
function importEntry(name: string, entry: Entry) {
  const dir = join(CORPUS, name);
  const init = initFromCompose(entry.file, { baseDir: dir, envs: [...ENVS] });
  const files = [entry.file, ...(entry.also ?? [])];
  const yaml = entry.also ? init.yaml.replace(/^( {4}compose: ).*$/m, `$1[${files.join(', ')}]`) : init.yaml;
  const loaded = loadFleet(join(dir, 'slipway.yaml'), { text: yaml });
  const fleet = loaded.fleet;
  return { dir, init, loaded, fleet, desired: fleet ? desire(fleet) : undefined };
}

const imported = new Map(Object.entries(ENTRIES).map(([name, entry]) => [name, importEntry(name, entry)]));

describe.each(Object.entries(ENTRIES))('compose corpus: %s', (name, entry) => {
  const { dir, init, loaded, fleet, desired } = imported.get(name)!;

  it('imports with no errors', () => {
    expect(init.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(init.yaml).toContain(`compose: ${entry.file}`);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(fleet?.apps).toHaveLength(1);
    for (const env of ENVS) expect(fleet!.apps[0]!.perEnv[env]!.processes.length).toBeGreaterThan(0);
  });

  it('warns only as its golden file expects', async () => {
    await expect(warningLines([...init.diagnostics, ...loaded.diagnostics], dir)).toMatchFileSnapshot(join(dir, 'expected-warnings.txt'));
  });

  it.each(ENVS)('exports %s as a compose file valid against the compose specification', (env) => {
    const text = renderCompose(desired!, fleet!.project, env, { fleet: fleet! });
    const doc = parse(text);
    const ok = validate(doc);
    expect(describeErrors(validate.errors), 'schema errors').toEqual([]);
    expect(ok).toBe(true);
    // Standalone: one service per process, named volumes declared, no other environment in it.
    expect(Object.keys(doc.services)).toHaveLength(fleet!.apps[0]!.perEnv[env]!.processes.length);
    const other = ENVS.find((e) => e !== env)!;
    expect(text).not.toContain(`-${other}-`);
    for (const svc of Object.values(doc.services) as { volumes?: string[] }[])
      for (const v of svc.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!/^[./~]/.test(source)) expect(doc.volumes?.[source], `volume ${source} is declared`).toBeDefined();
      }
  });

  it.each(ENVS)('routes the %s domain to the service a user would expose, never to a database', (env) => {
    const routed = routedProcesses(desired!, env);
    expect(routed.map((r) => r.process)).toEqual(entry.web === null ? [] : [entry.web]);
    for (const r of routed) {
      expect(r.image, `${r.process} runs a data image`).not.toMatch(DATA_IMAGE);
      expect(DATA_PORTS.has(r.port), `${r.process} is routed on data port ${r.port}`).toBe(false);
    }
  });

  it('says in the fleet file which process gets the domain, and why', () => {
    const web = entry.initWeb === undefined ? entry.web : entry.initWeb;
    expect(init.yaml).toMatch(
      web === null ? /# Routing: no process gets/ : new RegExp(`# Routing: the environment's domain goes to process ${web} \\(port \\d+\\): `),
    );
  });
});

describe('docker-compose 1.29', () => {
  /** `docker-compose config -q` of one export, with the variables its header lists set; stderr when it fails. */
  async function config(name: string, env: string): Promise<string> {
    const { dir, fleet, desired } = imported.get(name)!;
    const text = renderCompose(desired!, fleet!.project, env, { fleet: fleet! });
    const file = join(exportsDir, `${name}-${env}.yml`);
    writeFileSync(file, text);
    const vars = Object.fromEntries([...text.matchAll(/^# {3}([A-Z][A-Z0-9_]*)$/gm)].map((m) => [m[1]!, 'set-by-test']));
    const args = ['-p', `${fleet!.project}-${env}`, '--project-directory', dir, '-f', file, 'config', '-q'];
    try {
      const r = await run(DOCKER_COMPOSE, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...vars } });
      return r.stderr;
    } catch (e) {
      const err = e as { code?: string | number; stderr?: string };
      if (err.code === 'ENOENT') throw new Error(`${DOCKER_COMPOSE} is missing: install it with \`apt-get install docker-compose\``);
      return `exit ${err.code}: ${err.stderr}`;
    }
  }

  it("accepts both environments' export of every corpus entry (`config`)", async () => {
    const jobs = [...imported.keys()].flatMap((name) => ENVS.map((env) => ({ name, env })));
    const failures: string[] = [];
    // Four at a time: each run is a Python start-up of about a second.
    const workers = Array.from({ length: 4 }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const stderr = await config(job.name, job.env);
        if (stderr !== '') failures.push(`${job.name} ${job.env}: ${stderr}`);
      }
    });
    await Promise.all(workers);
    expect(failures).toEqual([]);
    // 40 Python start-ups: generous on a loaded 2-core machine; a guard, not a measurement.
  }, 600_000);
});

describe('docs/compose-keys.md', () => {
  const doc = readFileSync(resolve(CORPUS, '../../../docs/compose-keys.md'), 'utf8');
  /** Keys named in the first column of the doc's tables. */
  const documented = new Set(
    doc
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .flatMap((l) => [...l.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)),
  );

  it.each([
    ['service', Object.keys(schema.definitions.service.properties)],
    ['top-level', Object.keys(schema.properties)],
  ])('says what Slipway does with every %s key of the compose specification', (_what, keys) => {
    expect(keys.filter((k) => !documented.has(k))).toEqual([]);
  });
});
