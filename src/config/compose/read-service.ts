// One compose service: dispatches each key to its reader (build, env, ports, mounts, networks,
// depends_on, healthcheck, deploy), applies compose precedence (env_file under environment,
// deploy limits over mem_limit/cpus) and reports keys Slipway does not import.
import { isMap } from './compose-tree.ts';
import type { Entry, ReadContext } from './read-context.ts';
import { readBuild } from './read-build.ts';
import { readContainerOption } from './read-container-options.ts';
import { readDependsOn } from './read-depends-on.ts';
import { readDeploy } from './read-deploy.ts';
import { readEnvFiles } from './read-env.ts';
import { readEnvironment } from './read-env.ts';
import { readHealthcheck } from './read-healthcheck.ts';
import { readMounts } from './read-mounts.ts';
import { readFileRefs } from './read-file-refs.ts';
import { readLinks, readServiceNetworks } from './read-networks.ts';
import { readSlipwayExtension } from './read-x-slipway.ts';
import { readExpose, readPorts } from './read-ports.ts';
import { argv, cpus as readCpus, duration, size, str, stringMap } from './read-scalars.ts';
import type { ComposeService } from './types.ts';

// profiles were applied (read-profiles.ts) and extends resolved (read-extends.ts) before this.
const IGNORED_KEYS = new Set(['profiles', 'extends']);

export function readService(rc: ReadContext, e: Entry): ComposeService | undefined {
  const name = e.key;
  const base = `services/${name}`;
  const node = rc.deref(e.value);
  const pos = rc.pos(e.keyNode ?? e.value);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name)) {
    rc.add('error', 'bad-name', base, `"${name}" is not a valid compose service name`, 'use letters, digits, ".", "_" and "-"', pos);
    return undefined;
  }
  if (!isMap(node)) {
    rc.badType(e.value, base, 'a map of service settings');
    return undefined;
  }
  const svc: ComposeService = {
    name,
    environment: {},
    ports: [],
    expose: [],
    volumes: [],
    networks: [],
    hostAliases: [],
    dependsOn: [],
    labels: {},
    pos,
    envPos: {},
  };
  let envFiles: Entry | undefined;
  let environment: Entry | undefined;
  let limits: { memory?: number; cpus?: number } = {};
  let memLimit: number | undefined;
  let cpus: number | undefined;
  for (const f of rc.entries(node, base)) {
    const path = `${base}/${f.key}`;
    switch (f.key) {
      case 'image':
        svc.image = str(rc, f.value, path);
        break;
      case 'build':
        svc.build = readBuild(rc, f.value, path);
        break;
      case 'command':
        svc.command = argv(rc, f.value, path);
        break;
      case 'entrypoint':
        svc.entrypoint = argv(rc, f.value, path);
        break;
      case 'environment':
        environment = f;
        break;
      case 'env_file':
        envFiles = f;
        break;
      case 'ports':
        svc.ports = readPorts(rc, f.value, path);
        break;
      case 'expose':
        svc.expose = readExpose(rc, f.value, path);
        break;
      case 'volumes':
        svc.volumes = readMounts(rc, f.value, path);
        break;
      case 'configs':
      case 'secrets':
        svc.fileRefs = [...(svc.fileRefs ?? []), ...readFileRefs(rc, f.value, path, f.key === 'configs' ? 'config' : 'secret')];
        break;
      case 'networks':
        readServiceNetworks(rc, f.value, path, svc);
        break;
      case 'depends_on': {
        const d = readDependsOn(rc, f.value, path, name);
        svc.dependsOn = d.services;
        if (Object.keys(d.conditions).length > 0) svc.dependsOnCondition = d.conditions;
        break;
      }
      case 'healthcheck': {
        const h = readHealthcheck(rc, f.value, path);
        if (h) svc.health = h;
        break;
      }
      case 'deploy': {
        const d = readDeploy(rc, f.value, path);
        limits = d.limits;
        if (d.replicas !== undefined) svc.replicas = d.replicas;
        break;
      }
      case 'mem_limit':
        memLimit = size(rc, f.value, path);
        break;
      case 'cpus':
        cpus = readCpus(rc, f.value, path);
        break;
      case 'labels':
        svc.labels = stringMap(rc, f.value, path, 'labels');
        break;
      case 'container_name': {
        const cn = str(rc, f.value, path);
        if (cn !== undefined) {
          svc.hostAliases.push(cn);
          rc.add(
            'info',
            'container-name-ignored',
            path,
            `container_name "${cn.length > 80 ? `${cn.slice(0, 40)}…` : cn}" is not the container's name: Slipway names containers per environment and release`,
            `"${cn.length > 80 ? `${cn.slice(0, 40)}…` : cn}" still resolves to this service inside each environment (a network alias)`,
            rc.pos(f.value),
          );
        }
        break;
      }
      case 'hostname': {
        const h = str(rc, f.value, path);
        if (h !== undefined) {
          svc.hostAliases.push(h);
          rc.add(
            'info',
            'hostname-alias',
            path,
            `hostname "${h.length > 80 ? `${h.slice(0, 40)}…` : h}" resolves to this service inside each environment (a network alias); the container's own hostname is Docker's default`,
            'software that needs its own hostname (a RabbitMQ node name) should take it from an environment variable',
            rc.pos(f.value),
          );
        }
        break;
      }
      case 'links':
        svc.links = readLinks(rc, f.value, path);
        break;
      case 'stop_grace_period': {
        const ms = duration(rc, f.value, path);
        if (ms !== undefined) svc.stopGracePeriodMs = ms;
        break;
      }
      case 'x-slipway': {
        const x = readSlipwayExtension(rc, f.value, path);
        if (x !== undefined) svc.slipway = x;
        break;
      }
      default:
        if (readContainerOption(rc, f, path, svc)) break;
        if (IGNORED_KEYS.has(f.key) || f.key.startsWith('x-')) break;
        rc.unsupported(f, path, `"${f.key}" is not imported by Slipway`);
    }
  }
  // env_file first, then environment overrides it (compose precedence).
  if (envFiles) readEnvFiles(rc, envFiles.value, `${base}/env_file`, svc);
  if (environment) readEnvironment(rc, environment.value, `${base}/environment`, svc);
  const memory = limits.memory ?? memLimit;
  if (memory !== undefined) svc.memory = memory;
  const c = limits.cpus ?? cpus;
  if (c !== undefined) svc.cpus = c;
  const first = svc.ports[0]?.container ?? svc.expose[0];
  if (first !== undefined) svc.port = first;
  if (svc.image === undefined && svc.build === undefined)
    rc.add('error', 'missing-image', base, `service "${name}" has neither "image" nor "build"`, 'add "image: NAME:TAG" or "build: ./dir"', pos);
  return svc;
}
