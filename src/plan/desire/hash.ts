// Spec hash: a short, stable digest of the container fields whose change needs a new container.
// Secrets contribute their name only, never a value; key order and list order never matter.
import { createHash } from 'node:crypto';
import { pickContainerOptions } from '../../config/container-defaults.ts';
import type { ContainerOptions } from '../../config/fleet.ts';
import type { ContainerSpec } from './desired.ts';
import { bindsForHash } from './bind-hash.ts';

/** JSON with object keys sorted, so equal data always gives equal text. */
export function stableStringify(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
}

export type HashedFields = Pick<
  ContainerSpec,
  'image' | 'command' | 'env_vars' | 'mounts' | 'binds' | 'memory' | 'cpus' | 'networks' | 'health' | 'port' | 'publish'
> &
  Omit<ContainerOptions, 'labels'> & {
    /** Slipway's own labels (`slipway.*`) are left out; the user's count. */
    labels?: Record<string, string>;
  };

/** sha256 over the fields that require a new container, 12 hex chars. */
export function specHash(c: HashedFields): string {
  const networks = [...c.networks]
    .map((n) => ({ network: n.network, aliases: [...n.aliases].sort() }))
    .sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0));
  const canonical = {
    image: c.image,
    command: c.command ?? null,
    env: c.env_vars,
    mounts: c.mounts,
    // Only when there are any, so specs without binds keep their hash.
    ...(c.binds && c.binds.length > 0 ? { binds: bindsForHash(c.binds) } : {}),
    memory: c.memory ?? null,
    cpus: c.cpus ?? null,
    networks,
    health: c.health,
    port: c.port ?? null,
    publish: [...c.publish].sort(),
    // Every container setting (user, tmpfs, restart, logging, pids limit, OOM score…): Docker
    // cannot change most of them on a running container, so a change means a new one.
    ...containerOptionsForHash(c),
  };
  return createHash('sha256').update(stableStringify(canonical)).digest('hex').slice(0, 12);
}

/** The container options that enter the hash; list order of capabilities, dns and hosts matters to no one but is kept. */
function containerOptionsForHash(c: HashedFields): Record<string, unknown> {
  const o: Record<string, unknown> = { ...pickContainerOptions(c) };
  delete o.labels;
  const userLabels = Object.fromEntries(Object.entries(c.labels ?? {}).filter(([k]) => !k.startsWith('slipway.')));
  if (Object.keys(userLabels).length > 0) o.labels = userLabels;
  return o;
}
