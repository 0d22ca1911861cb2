// Turns a desired ContainerSpec (plus a release and resolved env) into the engine's
// CreateContainerSpec: physical name with the release, per-release alias next to the stable one,
// release label.
import type { ContainerSpec } from '../plan/desire/desired.ts';
import type { CreateContainerSpec } from '../engine/docker-engine.ts';
import { LABELS } from '../model/labels.ts';
import type { Secret } from '../util/secret.ts';

/** The alias all replicas of one release share on each of their networks. */
export const releaseAlias = (stableAlias: string, release: string): string => `${stableAlias}-${release}`;

export function physicalName(spec: ContainerSpec, release?: string): string {
  return release ? `${spec.name}-${release}` : spec.name;
}

/** `without`: networks to leave out at creation (edge networks, joined once healthy). */
export function toCreateSpec(
  spec: ContainerSpec,
  opts: { release?: string; image?: string; env: Record<string, string | Secret>; without?: ReadonlySet<string> },
): CreateContainerSpec {
  const labels = { ...spec.labels, ...(opts.release ? { [LABELS.release]: opts.release } : {}) };
  return {
    name: physicalName(spec, opts.release),
    image: opts.image ?? spec.image,
    cmd: spec.command,
    env: opts.env,
    labels,
    networks: spec.networks
      .filter((n) => !opts.without?.has(n.network))
      .map((n) => ({
        network: n.network,
        aliases: opts.release ? [...n.aliases, ...n.aliases.map((a) => releaseAlias(a, opts.release!))] : n.aliases,
      }))
      .map((n) => ({ name: n.network, aliases: n.aliases })),
    mounts: Object.entries(spec.mounts).map(([volume, target]) => ({ volume, target })),
    ...(spec.binds?.length ? { binds: engineBinds(spec) } : {}),
    memory: spec.memory,
    cpus: spec.cpus,
    restart: spec.restart,
    stopTimeoutS: spec.stopTimeoutS,
    publish: spec.publish.map(parsePublish),
    ...(spec.sysctls ? { sysctls: spec.sysctls } : {}),
    ...dockerHealthcheck(spec),
    ...containerOptions(spec),
  };
}

/** A command health check (compose's `pg_isready`, `redis-cli ping`, `curl -f …`) is the container's Docker healthcheck. */
export function dockerHealthcheck(spec: ContainerSpec): Pick<CreateContainerSpec, 'healthcheck'> {
  const h = spec.health;
  if (!h?.command?.length) return {};
  return { healthcheck: { test: [...h.command], intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries, startPeriodMs: h.startPeriodMs } };
}

/** The container settings of a desired spec in the engine's terms (only those set). */
export function containerOptions(spec: ContainerSpec): Partial<CreateContainerSpec> {
  const o: Partial<CreateContainerSpec> = {};
  if (spec.user !== undefined) o.user = spec.user;
  if (spec.workingDir !== undefined) o.workdir = spec.workingDir;
  if (spec.entrypoint !== undefined) o.entrypoint = [...spec.entrypoint];
  if (spec.restartMaxRetries !== undefined) o.restartMaxRetries = spec.restartMaxRetries;
  if (spec.stopSignal !== undefined) o.stopSignal = spec.stopSignal;
  if (spec.tmpfs !== undefined) o.tmpfs = { ...spec.tmpfs };
  if (spec.capAdd !== undefined) o.capAdd = [...spec.capAdd];
  if (spec.capDrop !== undefined) o.capDrop = [...spec.capDrop];
  if (spec.readOnly !== undefined) o.readOnlyRootfs = spec.readOnly;
  if (spec.privileged !== undefined) o.privileged = spec.privileged;
  if (spec.ulimits !== undefined) o.ulimits = Object.entries(spec.ulimits).map(([name, u]) => ({ name, soft: u.soft, hard: u.hard }));
  if (spec.shmSize !== undefined) o.shmSize = spec.shmSize;
  if (spec.init !== undefined) o.init = spec.init;
  if (spec.logging !== undefined) o.logging = { driver: spec.logging.driver, options: { ...spec.logging.options } };
  if (spec.extraHosts !== undefined) o.extraHosts = spec.extraHosts.map((h) => `${h.host}:${h.ip}`);
  if (spec.devices !== undefined) o.devices = spec.devices.map((d) => ({ pathOnHost: d.host, pathInContainer: d.container, permissions: d.permissions }));
  if (spec.dns !== undefined) o.dns = [...spec.dns];
  if (spec.pidsLimit !== undefined) o.pidsLimit = spec.pidsLimit;
  if (spec.oomScoreAdj !== undefined) o.oomScoreAdj = spec.oomScoreAdj;
  return o;
}

function parsePublish(p: string): { hostPort: number; containerPort: number } {
  const [host, container] = p.split(':');
  return { hostPort: Number(host), containerPort: Number(container) };
}

/**
 * A desired spec's bind mounts as the engine binds them: a host path as it is, shipped repository
 * content from where the deploy put it (workflows/files-ship.ts). Content not shipped is a bug.
 */
export function engineBinds(spec: ContainerSpec): NonNullable<CreateContainerSpec['binds']> {
  return (spec.binds ?? []).map((b) => {
    if (!b.repo) return { source: b.source, target: b.target, readOnly: b.readOnly };
    if (!b.repo.hostPath) throw new Error(`${spec.name}: ${b.source} → ${b.target} was not shipped to the server before the container was created`);
    return { source: b.repo.hostPath, target: b.target, readOnly: b.readOnly };
  });
}
