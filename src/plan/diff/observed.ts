// ObservedState: what the Docker engines (and each server's proxy config and state dir) report,
// per server, rebuilt from Slipway's labels. `observe` mappers produce it; `diff` consumes it.
import type { RedisDbSpec, Role, Route } from '../desire/desired.ts';

import { LABELS } from '../../model/labels.ts';
export { LABELS };

export type ContainerState = 'running' | 'exited' | 'created' | 'restarting' | 'paused' | 'dead';
export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

export interface ObservedContainer {
  id?: string;
  /** Physical container name (carries the release). */
  name: string;
  /** Same identity as `ContainerSpec.key`, derived from labels by `containerKeyFromLabels`. */
  key: string;
  role: Role;
  image: string;
  labels: Record<string, string>;
  /** Label `slipway.spec-hash`. */
  specHash?: string;
  /** Label `slipway.release`. */
  release?: string;
  state: ContainerState;
  health?: ContainerHealth;
  createdAt?: string;
  /** Networks the container is attached to, sorted; compared only for services and the proxy. */
  networks?: string[];
}

export interface ObservedNamed {
  name: string;
  labels: Record<string, string>;
}

export interface ObservedDatabase {
  service: string;
  instance: string;
  database: string;
  user: string;
}

export interface ObservedServer {
  server: string;
  networks: ObservedNamed[];
  volumes: ObservedNamed[];
  containers: ObservedContainer[];
  /** Routes in the server's proxy config; `undefined` when not read (treated as none). */
  routes?: Route[];
  /** Databases recorded on the server; `undefined` when not read (treated as none). */
  databases?: ObservedDatabase[];
  redisDbs?: RedisDbSpec[];
  /** Redis ACLs as `up` last applied them, per instance (absent: none recorded). */
  redisAcls?: ObservedRedisAcl[];
}

/** An instance's ACL as last applied: the digest of its users' rules (plan/desire/redis-users.ts) and their names. */
export interface ObservedRedisAcl {
  instance: string;
  digest: string;
  users: string[];
}

export interface ObservedState {
  project: string;
  servers: ObservedServer[];
}

export function emptyObserved(project: string): ObservedState {
  return { project, servers: [] };
}

const ROLES: readonly Role[] = ['app', 'proxy', 'service', 'release-task'];

export function roleFromLabels(labels: Record<string, string>): Role | undefined {
  const r = labels[LABELS.role];
  return ROLES.includes(r as Role) ? (r as Role) : undefined;
}

/**
 * The container key from labels, matching `ContainerSpec.key`:
 * - app / release-task: `{app}/{env}/{process}/{replica}` (replica defaults to 0; a release
 *   task without `slipway.process` is process `release`);
 * - service: `service/{service}` (server scope) or `service/{service}/{env}` (env scope, when
 *   the container has `slipway.env`); the name is `slipway.service`, falling back to `slipway.app`;
 * - proxy: `proxy`.
 * Returns undefined when the labels do not identify a container.
 */
export function containerKeyFromLabels(labels: Record<string, string>): string | undefined {
  const role = roleFromLabels(labels);
  if (role === 'proxy') return 'proxy';
  if (role === 'service') {
    const svc = labels[LABELS.service] ?? labels[LABELS.app];
    if (!svc) return undefined;
    const env = labels[LABELS.env];
    return env ? `service/${svc}/${env}` : `service/${svc}`;
  }
  if (role === 'app' || role === 'release-task') {
    const app = labels[LABELS.app];
    const env = labels[LABELS.env];
    const proc = labels[LABELS.process] ?? (role === 'release-task' ? 'release' : undefined);
    if (!app || !env || !proc) return undefined;
    return `${app}/${env}/${proc}/${labels[LABELS.replica] ?? '0'}`;
  }
  return undefined;
}

/** True when the object carries `slipway.project` = project (the only objects diff may touch). */
export function ownedBy(labels: Record<string, string>, project: string): boolean {
  return labels[LABELS.project] === project;
}
