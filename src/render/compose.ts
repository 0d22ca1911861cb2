// Compose export: one environment of a DesiredState as a standalone docker-compose file, so a
// team can leave Slipway (or debug without it) with nothing but `docker compose up`.
//
// Choices made here (pure, deterministic: keys and lists are sorted):
// - One compose service per process alias `{app}-{env}-{process}`; replicas collapse into
//   `deploy.replicas` (only when > 1). Shared services used by the env are included under their
//   service name; the proxy and release tasks are not (routes are a separate render).
// - Secrets are never values: a secret env var becomes `${SECRET_NAME_UPPER_SNAKE}` compose
//   interpolation (see `secretEnvVar`); the header lists every variable to set. Every other value
//   (env, command, healthcheck test, labels, user…) has `$` escaped as `$$`: compose must not
//   interpolate what Slipway already resolved.
// - Images are the ones the fleet runs. Images Slipway builds (`{project}/{app}:current`, or the
//   older `{release}` placeholder) become `{project}/{app}:{env}-${APP_RELEASE}`, the tag a deploy
//   gives them, with a `build:` section (context and Dockerfile, relative to the fleet file's
//   directory) when the fleet says how to build them.
// - Health checks: a command check (compose's `pg_isready`, `curl …`) is a Docker `healthcheck:`;
//   an HTTP path Slipway probes from outside is the label `slipway.health` (no HTTP client is
//   guaranteed inside the image).
// - Bind mounts stay binds (paths relative to the fleet file's directory); named volumes and
//   networks keep their Slipway names via explicit `name:` (an `internal` one stays internal);
//   external ones (compose `external: true`) are `external: true` under their own name. A
//   server-scoped shared service (e.g. one Postgres for all envs) is exported into each env's file
//   with the same data volume name: export one env per host, or rename the volume, before running
//   two of them.
// - `depends_on`: app processes depend on the shared-service instances holding their databases
//   and Redis DBs (`service_started`), and on the same-app processes of their compose `depends_on`
//   with its condition (`service_healthy`, `service_completed_successfully` for a one-off task,
//   which is exported with `restart: "no"`).
// - Container options (user, tmpfs, cap_add, ulimits, logging, pids_limit…) keep their compose names.
// - Redis runs without Slipway's ACL file (which only `up` writes); REDIS_URL stays a variable to set.
import { stringify } from 'yaml';
import type { ContainerOptions, DependsCondition, Fleet, ProcessSpec } from '../config/fleet.ts';
import type { ContainerSpec, DesiredState, NetworkSpec, VolumeSpec } from '../plan/desire/desired.ts';
import { LABELS } from '../model/labels.ts';
import { composeContainerOptions, composeHealthcheck, escapeDollars } from './compose-service.ts';
import { composeBytes, secretEnvVar } from './compose-units.ts';

export { composeBytes, secretEnvVar } from './compose-units.ts';

export interface RenderComposeOptions {
  /** The fleet the state was desired from: gives build sections, bind mounts and depends_on. */
  fleet?: Fleet;
}

type WithDeps = ContainerSpec & Partial<ContainerOptions> & { dependsOn?: string[] };

const sortObj = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function serviceName(c: ContainerSpec, envNets: Set<string>): string {
  if (c.role === 'app' && c.app && c.env && c.process) return `${c.app}-${c.env}-${c.process}`;
  const alias = c.networks.find((n) => envNets.has(n.network))?.aliases[0];
  return c.service ?? alias ?? c.key.replace(/[^A-Za-z0-9_.-]+/g, '-');
}

function isNamedVolume(name: string): boolean {
  return !name.startsWith('/') && !name.startsWith('.') && !name.startsWith('~');
}

/** The process spec of an app container in the fleet, if the fleet was given. */
function processOf(fleet: Fleet | undefined, c: ContainerSpec, env: string): ProcessSpec | undefined {
  if (!fleet || c.role !== 'app') return undefined;
  return fleet.apps.find((a) => a.name === c.app)?.perEnv[env]?.processes.find((p) => p.name === c.process);
}

/** How to build a Slipway-built image: the process's own build, else the app's git source. */
function buildOf(fleet: Fleet | undefined, c: ContainerSpec, proc: ProcessSpec | undefined): { context: string; dockerfile: string } | undefined {
  if (proc?.build) return { ...proc.build };
  const app = fleet?.apps.find((a) => a.name === c.app);
  if (app?.source.kind !== 'git') return undefined;
  const { repo, context, dockerfile } = app.source;
  const remote = /^[a-z][a-z0-9+.-]*:\/\/|^[^/]+@[^/]+:/i.test(repo);
  if (remote) return { context: context === '.' ? repo : `${repo}#:${context}`, dockerfile };
  const base = repo === '.' ? '' : `${repo.replace(/\/+$/, '')}/`;
  return { context: context === '.' ? repo : `${base}${context}`, dockerfile };
}

/**
 * Slipway's Redis reads its users from an ACL file that Slipway writes into the data volume; an
 * exported Redis has no such file, so it runs without it (REDIS_URL is then the operator's to set).
 */
function withoutAclFile(command: string[] | undefined): string[] | undefined {
  const at = command?.indexOf('--aclfile') ?? -1;
  if (!command || at < 0) return command;
  const rest = [...command.slice(0, at), ...command.slice(at + 2)];
  return rest.length === 1 && rest[0] === 'redis-server' ? undefined : rest;
}

/** Renders the compose file for environment `env` of `project` across all its servers. */
export function renderCompose(desired: DesiredState, project: string, env: string, opts: RenderComposeOptions = {}): string {
  const fleet = opts.fleet;
  const networks = new Map<string, NetworkSpec>();
  const volumeSpecs = new Map<string, VolumeSpec>();
  for (const s of desired.servers) {
    for (const n of s.networks) if (n.env === env && !networks.has(n.name)) networks.set(n.name, n);
    for (const v of s.volumes) if (!volumeSpecs.has(v.name)) volumeSpecs.set(v.name, v);
  }
  // External networks and volumes (compose `external: true`) keep their own name and stay external.
  const externalNets = new Set<string>();
  const externalVols = new Set<string>();
  for (const s of desired.servers) for (const x of s.externals ?? []) if (x.env === env) (x.type === 'network' ? externalNets : externalVols).add(x.name);
  const envNets = new Set([...networks.keys(), ...externalNets]);

  // Containers of the env, plus shared-service instances it uses.
  const usedInstances = new Map<string, Set<string>>(); // instance key -> app names using it
  for (const s of desired.servers) {
    for (const d of [...s.databases, ...s.redisDbs]) {
      if (d.env !== env) continue;
      const set = usedInstances.get(d.instance) ?? new Set<string>();
      set.add(d.app);
      usedInstances.set(d.instance, set);
    }
  }
  const picked: ContainerSpec[] = [];
  for (const s of desired.servers) {
    for (const c of s.containers) {
      if (c.role === 'app' && c.env === env) picked.push(c);
      else if (c.role === 'service' && (c.env === env || usedInstances.has(c.key) || c.networks.some((n) => envNets.has(n.network)))) picked.push(c);
    }
  }

  // Group replicas by compose service name.
  const groups = new Map<string, ContainerSpec[]>();
  const nameOfKey = new Map<string, string>();
  for (const c of picked) {
    const name = serviceName(c, envNets);
    nameOfKey.set(c.key, name);
    const g = groups.get(name) ?? [];
    g.push(c);
    groups.set(name, g);
  }

  const secretVars = new Set<string>();
  const releaseVars = new Set<string>();
  /** Paths relative to the fleet file (build contexts, bind sources): the header says how to run. */
  const builds = new Set<string>();
  const usedVolumes = new Set<string>();
  const services: Record<string, unknown> = {};
  for (const [name, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    group.sort((a, b) => a.replica - b.replica);
    const c = group[0] as WithDeps;
    const proc = processOf(fleet, c, env);
    let image = c.image;
    const built = image.startsWith(`${project}/`) && (image.includes('{release}') || image.endsWith(':current'));
    if (built) {
      const v = `${secretEnvVar(c.app ?? name)}_RELEASE`;
      releaseVars.add(v);
      const tag = `${env}-\${${v}:?set ${v} to the release tag to run}`;
      image = image.includes('{release}') ? image.split('{release}').join(tag) : `${image.slice(0, -':current'.length)}:${tag}`;
    }
    const svc: Record<string, unknown> = { image };
    const build = built ? buildOf(fleet, c, proc) : undefined;
    if (build) {
      svc.build = build.dockerfile === 'Dockerfile' ? { context: build.context } : { context: build.context, dockerfile: build.dockerfile };
      builds.add(build.context);
    }
    Object.assign(svc, composeContainerOptions(c));
    const command = c.role === 'service' ? withoutAclFile(c.command) : c.command;
    if (command && command.length > 0) svc.command = command.map(escapeDollars);

    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(c.env_vars)) {
      if (v.kind === 'secret') {
        const varName = secretEnvVar(v.name);
        secretVars.add(varName);
        environment[k] = `\${${varName}}`;
      } else environment[k] = escapeDollars(v.value);
    }
    if (Object.keys(environment).length > 0) svc.environment = sortObj(environment);

    const labels: Record<string, string> = Object.fromEntries(Object.entries(c.labels).map(([k, v]) => [k, escapeDollars(v)]));
    if (c.health?.path !== undefined) labels[LABELS.health] = c.health.path;
    if (Object.keys(labels).length > 0) svc.labels = sortObj(labels);
    const healthcheck = composeHealthcheck(c.health);
    if (healthcheck) svc.healthcheck = healthcheck;

    const nets: Record<string, unknown> = {};
    for (const n of c.networks) {
      if (!envNets.has(n.network)) continue;
      const aliases = [...new Set(n.aliases)].filter((a) => a !== name).sort();
      nets[n.network] = aliases.length > 0 ? { aliases } : {};
    }
    if (Object.keys(nets).length > 0) svc.networks = sortObj(nets);

    const mounts = Object.entries(c.mounts).sort(([a], [b]) => (a < b ? -1 : 1));
    const volumeList = mounts.map(([vol, path]) => {
      if (isNamedVolume(vol)) usedVolumes.add(vol);
      return `${vol}:${path}`;
    });
    for (const b of proc?.binds ?? []) {
      volumeList.push(`${b.source}:${b.target}${b.readOnly ? ':ro' : ''}`);
      if (!b.source.startsWith('/')) builds.add(b.source);
    }
    if (volumeList.length > 0) svc.volumes = volumeList;
    if (c.port !== undefined) svc.expose = [String(c.port)];

    const deploy: Record<string, unknown> = {};
    if (group.length > 1) deploy.replicas = group.length;
    const limits: Record<string, string> = {};
    if (c.cpus !== undefined) limits.cpus = String(c.cpus);
    if (c.memory !== undefined) limits.memory = composeBytes(c.memory);
    if (Object.keys(limits).length > 0) deploy.resources = { limits };
    if (Object.keys(deploy).length > 0) svc.deploy = deploy;

    svc.restart = c.restart === 'on-failure' && c.restartMaxRetries !== undefined ? `on-failure:${c.restartMaxRetries}` : c.restart;
    svc.stop_grace_period = `${c.stopTimeoutS}s`;

    const deps = new Map<string, DependsCondition>();
    if (c.role === 'app') {
      for (const [inst, apps] of usedInstances) {
        const dep = nameOfKey.get(inst);
        if (dep && c.app && apps.has(c.app)) deps.set(dep, 'service_started');
      }
      const conditions = new Map((c.waitsFor ?? []).map((w) => [w.process, w.condition]));
      for (const p of c.dependsOn ?? proc?.dependsOn ?? []) {
        const dep = `${c.app}-${env}-${p}`;
        if (groups.has(dep)) deps.set(dep, conditions.get(p) ?? proc?.dependsOnCondition?.[p] ?? 'service_started');
      }
    }
    deps.delete(name);
    if (deps.size > 0) {
      svc.depends_on = Object.fromEntries([...deps].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, condition]) => [d, { condition }]));
    }
    services[name] = svc;
  }

  // No top-level `name:`: docker-compose 1.x refuses it; the header gives the project name (-p).
  const doc: Record<string, unknown> = { services };
  if (networks.size > 0) {
    doc.networks = Object.fromEntries(
      [...networks.values()]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((n) => [
          n.name,
          { name: n.name, ...(n.internal ? { internal: true } : {}), ...(Object.keys(n.labels).length ? { labels: sortObj(n.labels) } : {}) },
        ]),
    );
  }
  if (externalNets.size > 0) {
    doc.networks = { ...(doc.networks as object), ...Object.fromEntries([...externalNets].sort().map((n) => [n, { external: true }])) };
  }
  if (usedVolumes.size > 0) {
    doc.volumes = Object.fromEntries(
      [...usedVolumes].sort().map((v) => {
        if (externalVols.has(v)) return [v, { external: true }];
        const labels = volumeSpecs.get(v)?.labels ?? {};
        return [v, { name: v, ...(Object.keys(labels).length ? { labels: sortObj(labels) } : {}) }];
      }),
    );
  }

  const header = [
    `# Generated by slipway for project ${project}, environment ${env}. Do not edit: re-export instead.`,
    `# Standalone: \`docker compose -p ${project}-${env} up -d\` runs this environment without Slipway.`,
    '# Not included: the reverse proxy (see the nginx/Caddy render) and release tasks.',
    '# Command health checks are Docker healthchecks; HTTP paths Slipway probes from outside are',
    '# labels (slipway.health): no HTTP client is guaranteed inside the images.',
  ];
  if (builds.size > 0) {
    header.push("# Build contexts and bind mounts are relative to the fleet file's directory: run");
    header.push(`#   docker compose -p ${project}-${env} --project-directory <that directory> -f <this file> up -d`);
  }
  if (releaseVars.size > 0) {
    header.push('# Images built by Slipway are tagged by release; set the tag to run:');
    for (const v of [...releaseVars].sort()) header.push(`#   ${v}`);
  }
  if (secretVars.size > 0) {
    header.push('# Secrets are read from these variables (shell or .env), never stored here:');
    for (const v of [...secretVars].sort()) header.push(`#   ${v}`);
  }
  return `${header.join('\n')}\n${stringify(doc, { lineWidth: 0, version: '1.1' })}`;
}
