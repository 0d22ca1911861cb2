// Cross-reference checks over the raw fleet: names, references between sections, per-environment
// maps, app sources and domains claimed twice. Runs alongside the schema so users get every
// problem at once.
import type { Diagnostic } from '../diag/diagnostic.ts';
import { didYouMean } from '../util/did-you-mean.ts';
import { entries, isMap, str, strings, type RawMap } from './raw-access.ts';
import { NAME_HINT, NAME_RE } from './schema.ts';
import type { PathPart, YamlSource } from './yaml-source.ts';

export function semanticDiagnostics(data: unknown, src: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!isMap(data)) {
    out.push({
      severity: 'error',
      code: 'bad-type',
      path: '',
      message: 'expected a map with project, servers, environments, services and apps',
      pos: src.posOf([]),
    });
    return out;
  }
  const ctx = new Ctx(src, out);
  const servers = Object.keys(isMap(data.servers) ? data.servers : {});
  const envs = Object.keys(isMap(data.environments) ? data.environments : {});
  const services = Object.keys(isMap(data.services) ? data.services : {});
  const apps = Object.keys(isMap(data.apps) ? data.apps : {});

  if (typeof data.project === 'string') ctx.name(data.project, ['project'], 'project', true);
  for (const s of servers) ctx.name(s, ['servers'], 'server');
  for (const e of envs) ctx.name(e, ['environments'], 'environment');
  for (const s of services) ctx.name(s, ['services'], 'service');
  for (const a of apps) ctx.name(a, ['apps'], 'app');

  for (const [name, srv] of entries(data.servers)) {
    if (isMap(srv) && srv.local === undefined && srv.ssh === undefined) {
      ctx.err(
        'missing-transport',
        ['servers', name],
        `server "${name}" says neither "local: true" nor "ssh: user@host"`,
        'add "local: true" for this machine\'s Docker engine, or "ssh: deploy@203.0.113.10"',
      );
    }
    if (isMap(srv) && srv.local !== undefined && srv.ssh !== undefined) {
      ctx.err('conflicting-keys', ['servers', name, 'ssh'], `server "${name}" sets both "local" and "ssh"`, 'keep one of them');
    }
  }
  for (const [name, env] of entries(data.environments)) {
    if (!isMap(env)) continue;
    ctx.ref(str(env.server), servers, ['environments', name, 'server'], 'server');
  }
  for (const [name, app] of entries(data.apps)) {
    if (!isMap(app)) continue;
    checkApp(ctx, name, app, { servers, envs, services, apps });
  }
  return out;
}

interface Names {
  servers: string[];
  envs: string[];
  services: string[];
  apps: string[];
}

function checkApp(ctx: Ctx, name: string, app: RawMap, n: Names): void {
  const base = ['apps', name];
  const sources = ['git', 'image', 'compose'].filter((k) => app[k] !== undefined);
  if (sources.length === 0)
    ctx.err(
      'missing-source',
      base,
      `app "${name}" has no source`,
      'add "git: ." (build from a Dockerfile), "image: NAME:TAG" or "compose: docker-compose.yml"',
    );
  if (sources.length > 1)
    ctx.err(
      'conflicting-keys',
      [...base, sources[1]!],
      `app "${name}" sets ${sources.map((s) => `"${s}"`).join(' and ')}`,
      'an app has exactly one source: git, image or compose',
    );
  if (app.compose === undefined && !isMap(app.processes)) {
    ctx.err('missing-key', base, `app "${name}" has no processes`, 'add processes: { web: { port: 8000, health: /health } }');
  }
  strings(app.uses).forEach((s, i) => ctx.ref(s, n.services, [...base, 'uses', i], 'service'));
  strings(app.depends_on).forEach((a, i) => {
    ctx.ref(a, n.apps, [...base, 'depends_on', i], 'app');
    if (a === name) ctx.err('self-reference', [...base, 'depends_on', i], `app "${name}" depends on itself`, 'remove it from depends_on');
  });
  strings(app.environments).forEach((e, i) => ctx.ref(e, n.envs, [...base, 'environments', i], 'environment'));
  for (const [env, server] of entries(app.placement)) {
    ctx.envKey(env, n.envs, [...base, 'placement'], false);
    ctx.ref(str(server), n.servers, [...base, 'placement', env], 'server');
  }
  ctx.perEnvKeys(app.domains, n.envs, [...base, 'domains'], true);
  if (isMap(app.compose)) {
    if (app.compose.files === undefined)
      ctx.err(
        'missing-key',
        [...base, 'compose'],
        `the compose: map of app "${name}" has no files`,
        'add files: docker-compose.yml (or a list, merged in order)',
      );
    for (const [env] of entries(app.compose.environments)) ctx.envKey(env, n.envs, [...base, 'compose', 'environments'], false);
  }
  for (const [key, v] of entries(app.env)) ctx.perEnvKeys(v, n.envs, [...base, 'env', key], false, true);
  for (const [proc, p] of entries(app.processes)) {
    ctx.name(proc, [...base, 'processes'], 'process');
    if (!isMap(p)) continue;
    for (const field of ['replicas', 'memory', 'cpus']) ctx.perEnvKeys(p[field], n.envs, [...base, 'processes', proc, field], false);
    for (const [key, v] of entries(p.env)) ctx.perEnvKeys(v, n.envs, [...base, 'processes', proc, 'env', key], false, true);
    if (p.health !== undefined && p.port === undefined && app.compose === undefined) {
      ctx.err(
        'health-without-port',
        [...base, 'processes', proc, 'health'],
        `process "${proc}" has an HTTP health check but no port`,
        'add "port:" (the port the process listens on) or remove "health:"',
      );
    }
  }
}

class Ctx {
  constructor(
    readonly src: YamlSource,
    readonly out: Diagnostic[],
  ) {}

  err(code: string, path: PathPart[], message: string, hint?: string): void {
    this.out.push({ severity: 'error', code, path: path.map(String).join('/'), message, hint, pos: this.src.posOf(path) });
  }

  name(value: string, parent: PathPart[], what: string, isValue = false): void {
    if (NAME_RE.test(value) && value.length <= 40) return;
    const path = isValue ? parent : [...parent, value];
    this.out.push({
      severity: 'error',
      code: 'invalid-name',
      path: path.map(String).join('/'),
      message: `invalid ${what} name "${value}"`,
      hint: value.length > 40 ? 'keep names at most 40 characters long' : NAME_HINT,
      pos: isValue ? this.src.posOf(parent) : this.src.posOfKey(parent, value),
    });
  }

  ref(value: string | undefined, known: string[], path: PathPart[], what: string): void {
    if (value === undefined || known.includes(value)) return;
    const guess = didYouMean(value, known);
    this.err(
      'unknown-reference',
      path,
      `unknown ${what} "${value}"`,
      guess
        ? `did you mean "${guess}"?`
        : known.length
          ? `defined ${what}s: ${known.join(', ')}`
          : `define it under "${what === 'environment' ? 'environments' : `${what}s`}:" first`,
    );
  }

  envKey(key: string, envs: string[], parent: PathPart[], allowDefault: boolean): void {
    if (envs.includes(key) || (allowDefault && key === 'default')) return;
    const guess = didYouMean(key, allowDefault ? [...envs, 'default'] : envs);
    this.out.push({
      severity: 'error',
      code: 'unknown-environment',
      path: [...parent, key].map(String).join('/'),
      message: `unknown environment "${key}"`,
      hint: guess ? `did you mean "${guess}"?` : `environments are: ${envs.join(', ')}${allowDefault ? ' (or "default")' : ''}`,
      pos: this.src.posOfKey(parent, key),
    });
  }

  /** A per-environment map's keys must be environments or "default". */
  perEnvKeys(v: unknown, envs: string[], path: PathPart[], allowLists: boolean, envValue = false): void {
    if (!isMap(v)) return;
    if (envValue && 'secret' in v) {
      const extra = Object.keys(v).filter((k) => k !== 'secret');
      if (extra.length)
        this.err(
          'bad-value',
          [...path, extra[0]!],
          `a secret reference takes only "secret", not "${extra[0]}"`,
          'write { secret: NAME } alone; for per-environment secrets use { prod: { secret: A }, default: { secret: B } }',
        );
      return;
    }
    if (allowLists && Object.values(v).some((x) => isMap(x))) return;
    for (const key of Object.keys(v)) this.envKey(key, envs, path, true);
  }
}
