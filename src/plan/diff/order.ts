// Orders plan actions deterministically. Per server (desired order, then observed-only servers
// by name), actions run in phases:
//   0 networks (create)   1 volumes (create)   2 service containers   3 databases, Redis DBs and ACLs
//   4 app containers (depends-on order, else by key)   5 proxy container
//   6 routes   7 proxy-config reload   8 container deletes (apps and release tasks, then proxy)
//   9 database drops and Redis DB flushes (no app uses them any more; their instance still runs)
//   10 service container deletes   11 network deletes   12 volume deletes (their containers are gone)
// Within a phase, ties break by id, then kind.
import type { Role } from '../desire/desired.ts';
import type { Action } from './plan.ts';

export interface ContainerOrderInfo {
  server: string;
  key: string;
  role: Role;
  /** Keys of containers (same server) this one must start after. */
  after: string[];
}

export const PHASES = [
  'networks',
  'volumes',
  'services',
  'data',
  'apps',
  'proxy',
  'routes',
  'proxy-config',
  'container-deletes',
  'data-deletes',
  'service-deletes',
  'network-deletes',
  'volume-deletes',
] as const;
export type Phase = (typeof PHASES)[number];

const ROLE_PHASE: Record<Role, Phase> = { service: 'services', app: 'apps', 'release-task': 'apps', proxy: 'proxy' };
/** Container deletes run in reverse dependency order: apps first, then the proxy. */
const DELETE_RANK: Record<Role, number> = { app: 0, 'release-task': 0, proxy: 1, service: 2 };

export function phaseOf(action: Action, role: Role | undefined): Phase {
  switch (action.type) {
    case 'network':
      return action.kind === 'delete' ? 'network-deletes' : 'networks';
    case 'volume':
      return action.kind === 'delete' ? 'volume-deletes' : 'volumes';
    case 'database':
    case 'redis-db':
      return action.kind === 'delete' ? 'data-deletes' : 'data';
    case 'redis-acl':
      return 'data';
    case 'route':
      return 'routes';
    case 'proxy-config':
      return 'proxy-config';
    case 'container':
      if (action.kind === 'delete') return role === 'service' ? 'service-deletes' : 'container-deletes';
      return ROLE_PHASE[role ?? 'app'];
  }
}

export function orderActions(actions: Action[], containers: ContainerOrderInfo[], serverOrder: string[]): Action[] {
  const info = new Map(containers.map((c) => [`${c.server}\u0000${c.key}`, c]));
  const servers = [...serverOrder];
  for (const s of [...new Set(actions.map((a) => a.server))].sort()) if (!servers.includes(s)) servers.push(s);

  const out: Action[] = [];
  for (const server of servers) {
    const mine = actions.filter((a) => a.server === server);
    const byPhase = new Map<Phase, Action[]>();
    for (const a of mine) {
      const role = a.type === 'container' ? info.get(`${server}\u0000${a.id}`)?.role : undefined;
      const p = phaseOf(a, role);
      const inPhase = byPhase.get(p);
      if (inPhase) inPhase.push(a);
      else byPhase.set(p, [a]);
    }
    for (const phase of PHASES) {
      const list = [...(byPhase.get(phase) ?? [])].sort(byIdThenKind);
      if (phase === 'apps') out.push(...topoSort(list, (a) => info.get(`${server}\u0000${a.id}`)?.after ?? []));
      else if (phase === 'container-deletes') {
        const rank = (a: Action): number => DELETE_RANK[info.get(`${server}\u0000${a.id}`)?.role ?? 'app'];
        out.push(...list.sort((a, b) => rank(a) - rank(b) || byIdThenKind(a, b)));
      } else out.push(...list);
    }
  }
  return out;
}

function byIdThenKind(a: Action, b: Action): number {
  return cmp(a.id, b.id) || cmp(a.kind, b.kind) || cmp(a.type, b.type) || cmp(a.target ?? '', b.target ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Kahn's algorithm over actions already sorted by id; among ready actions the smallest id goes
 * first. Dependencies on keys with no action in this list are ignored. Members of a cycle are
 * appended in id order. An id is done once every action for it has been placed. Linear apart from
 * keeping the ready list sorted (thousands of replicas stay fast).
 */
function topoSort(list: Action[], after: (a: Action) => string[]): Action[] {
  const ids = new Set(list.map((a) => a.id));
  const left = new Map<string, number>();
  for (const a of list) left.set(a.id, (left.get(a.id) ?? 0) + 1);
  const waiting = list.map((a) => new Set(after(a).filter((k) => ids.has(k) && k !== a.id)));
  const dependents = new Map<string, number[]>();
  waiting.forEach((deps, i) => {
    for (const k of deps) {
      const list = dependents.get(k);
      if (list) list.push(i);
      else dependents.set(k, [i]);
    }
  });
  const ready = waiting.flatMap((deps, i) => (deps.size === 0 ? [i] : []));
  const placed = new Set<number>();
  const out: Action[] = [];
  for (let i = ready.shift(); i !== undefined; i = ready.shift()) {
    placed.add(i);
    const a = list[i]!;
    out.push(a);
    const n = left.get(a.id)! - 1;
    left.set(a.id, n);
    if (n > 0) continue;
    for (const j of dependents.get(a.id) ?? []) {
      waiting[j]!.delete(a.id);
      if (waiting[j]!.size === 0) ready.splice(sortedIndex(ready, j), 0, j);
    }
  }
  out.push(...list.filter((_, i) => !placed.has(i)));
  return out;
}

/** Where `v` goes in the ascending array `xs`. */
function sortedIndex(xs: number[], v: number): number {
  let [lo, hi] = [0, xs.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
