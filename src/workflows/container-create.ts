// Turns a desired ContainerSpec (plus a release and resolved env) into the engine's
// CreateContainerSpec: physical name with the release, per-release alias next to the stable one,
// release label.
import type { ContainerSpec } from '../plan/desire/desired.ts';
import type { CreateContainerSpec } from '../engine/docker-engine.ts';
import { LABELS } from '../model/labels.ts';

/** The alias all replicas of one release share on each of their networks. */
export const releaseAlias = (stableAlias: string, release: string): string => `${stableAlias}-${release}`;

export function physicalName(spec: ContainerSpec, release?: string): string {
  return release ? `${spec.name}-${release}` : spec.name;
}

/** `without`: networks to leave out at creation (edge networks, joined once healthy). */
export function toCreateSpec(
  spec: ContainerSpec,
  opts: { release?: string; image?: string; env: Record<string, string>; without?: ReadonlySet<string> },
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
    memory: spec.memory,
    cpus: spec.cpus,
    restart: spec.restart,
    stopTimeoutS: spec.stopTimeoutS,
    publish: spec.publish.map(parsePublish),
    ...(spec.sysctls ? { sysctls: spec.sysctls } : {}),
  };
}

function parsePublish(p: string): { hostPort: number; containerPort: number } {
  const [host, container] = p.split(':');
  return { hostPort: Number(host), containerPort: Number(container) };
}
