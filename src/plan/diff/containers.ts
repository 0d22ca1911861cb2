// Diff of containers on one server, matched by key. Only containers labelled with this project
// are considered. For a desired key: missing → create; different spec hash (or a dead container)
// → replace; same hash but stopped → update (start/unpause); a service or the proxy missing one of
// its networks → update (join). Changes to app containers go to `deploy` (only a deploy makes a
// release), not to the actions `up` applies; their stopped containers of earlier releases are
// kept for rollback, and only a second *running* copy is a duplicate. Keys no longer desired:
// every container is deleted, whatever its state, release tasks included (those of an app and env
// that still run are one-off leftovers that deploy cleans up, so they are left alone).
import type { ContainerSpec } from '../desire/desired.ts';
import { LABELS, ownedBy, type ObservedContainer } from './observed.ts';
import type { ContainerOrderInfo } from './order.ts';
import type { Action } from './plan.ts';

export interface ContainerDiff {
  /** What `up` applies: services, proxy, and deletes of containers no longer desired. */
  actions: Action[];
  /** App container changes only `deploy` makes. */
  deploy: Action[];
  order: ContainerOrderInfo[];
}

/** Labels that change with every release or are the hash itself: never reported as fields. */
const VOLATILE_LABELS = new Set<string>([LABELS.release, LABELS.specHash]);

/** Git apps get a `:current` image placeholder; the real release is decided at deploy time. */
export function isPlaceholderImage(image: string): boolean {
  return image.endsWith(':current');
}

export function diffContainers(server: string, project: string, desired: ContainerSpec[], observed: ObservedContainer[]): ContainerDiff {
  const actions: Action[] = [];
  const deploy: Action[] = [];
  const groups = new Map<string, ObservedContainer[]>();
  for (const o of observed) {
    if (!ownedBy(o.labels, project)) continue;
    groups.set(o.key, [...(groups.get(o.key) ?? []), o]);
  }
  for (const list of groups.values()) list.sort(preferred);

  const wanted = new Set(desired.map((d) => d.key));
  for (const d of desired) {
    // A one-off task runs during a deploy and leaves no container behind.
    if (d.task) continue;
    const out = d.role === 'app' ? deploy : actions;
    const [match, ...rest] = (groups.get(d.key) ?? []).filter((o) => o.role !== 'release-task');
    // Stopped containers of earlier releases are kept on purpose (instant rollback).
    const dups = d.role === 'app' ? rest.filter((o) => o.state === 'running') : rest;
    for (const dup of dups) out.push(duplicateDelete(server, d.key, dup, match));
    if (!match) {
      out.push({ kind: 'create', type: 'container', server, id: d.key, reason: 'container does not exist' });
      continue;
    }
    const a = compare(server, d, match);
    if (a) out.push(a);
  }
  const liveAppEnvs = new Set(desired.filter((d) => d.role === 'app').map((d) => `${d.app}/${d.env}`));
  for (const [key, list] of groups) {
    for (const o of list) {
      if (o.role === 'release-task' ? liveAppEnvs.has(`${o.labels[LABELS.app]}/${o.labels[LABELS.env]}`) : wanted.has(key)) continue;
      actions.push({ kind: 'delete', type: 'container', server, id: key, target: o.name, reason: 'no longer in the fleet' });
    }
  }

  const order: ContainerOrderInfo[] = desired.map((d) => ({ server, key: d.key, role: d.role, after: dependencyKeys(d, desired) }));
  for (const [key, list] of groups) {
    if (!wanted.has(key) && list[0]) order.push({ server, key, role: list[0].role, after: [] });
  }
  return { actions, deploy, order };
}

function compare(server: string, d: ContainerSpec, o: ObservedContainer): Action | undefined {
  if (o.specHash !== d.specHash || o.state === 'dead') {
    const changes = changedFields(d, o);
    const fields = Object.keys(changes);
    let why: string;
    if (o.state === 'dead' && o.specHash === d.specHash) why = 'container is dead';
    else if (fields.length > 0) why = `spec changed: ${fields.join(', ')}`;
    else if (o.specHash === undefined) why = `spec changed (no spec-hash label → ${d.specHash})`;
    else why = `spec changed (hash ${o.specHash} → ${d.specHash})`;
    const { strategy, note } = replaceStrategy(d);
    const a: Action = { kind: 'replace', type: 'container', server, id: d.key, target: o.name, reason: `${why}; ${note}`, strategy };
    if (fields.length > 0) a.changes = changes;
    return a;
  }
  const reasons: string[] = [];
  const changes: Record<string, [unknown, unknown]> = {};
  if (o.state === 'exited' || o.state === 'created') {
    reasons.push(`start: container is ${o.state}`);
    changes.state = [o.state, 'running'];
  } else if (o.state === 'paused') {
    reasons.push('unpause: container is paused');
    changes.state = ['paused', 'running'];
  }
  // running, or restarting under Docker's restart policy: nothing a plan can fix.
  const join = missingNetworks(d, o);
  if (join.length > 0) {
    reasons.push(`join network${join.length === 1 ? '' : 's'} ${join.join(', ')}`);
    changes.networks = [o.networks, [...new Set([...(o.networks ?? []), ...join])].sort()];
  }
  if (reasons.length === 0) return undefined;
  return { kind: 'update', type: 'container', server, id: d.key, target: o.name, reason: reasons.join('; '), changes };
}

/**
 * Desired networks a service or the proxy is not attached to (read back only when observe saw its
 * networks). The proxy joins each environment's edge network live; a service is reattached after
 * `down` removed a network it shared.
 */
function missingNetworks(d: ContainerSpec, o: ObservedContainer): string[] {
  if (d.role === 'app' || o.networks === undefined) return [];
  const have = new Set(o.networks);
  return [...new Set(d.networks.map((n) => n.network))].filter((n) => !have.has(n)).sort();
}

/** Fields that differ and can be read back from an observed container: image and labels. */
export function changedFields(d: ContainerSpec, o: ObservedContainer): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  if (!isPlaceholderImage(d.image) && d.image !== o.image) changes.image = [o.image, d.image];
  // Labels the container has but the spec never set come from its image (Docker merges them):
  // only Slipway's own are compared both ways.
  const keys = [...new Set([...Object.keys(d.labels), ...Object.keys(o.labels).filter((k) => k.startsWith('slipway.'))])].sort();
  for (const k of keys) {
    if (VOLATILE_LABELS.has(k)) continue;
    if (d.labels[k] !== o.labels[k]) changes[`labels.${k}`] = [o.labels[k] ?? null, d.labels[k] ?? null];
  }
  return changes;
}

function replaceStrategy(d: ContainerSpec): { strategy: 'start-first' | 'stop-first'; note: string } {
  if (d.singleton) return { strategy: 'stop-first', note: 'singleton: old container is deleted before the new one is created (brief downtime)' };
  if (d.stateful)
    return { strategy: 'stop-first', note: `stateful (${d.stateful}): old container is stopped before the new one starts (never two on one volume)` };
  if (d.role === 'service')
    return { strategy: 'stop-first', note: 'service: old container is deleted before the new one is created (it owns its data volume)' };
  if (d.publish.length > 0) return { strategy: 'stop-first', note: 'publishes host ports: old container is deleted before the new one is created' };
  return { strategy: 'start-first', note: 'new container is created and healthy before the old one is deleted (zero downtime)' };
}

function duplicateDelete(server: string, key: string, dup: ObservedContainer, kept: ObservedContainer | undefined): Action {
  return {
    kind: 'delete',
    type: 'container',
    server,
    id: key,
    target: dup.name,
    reason: `duplicate: ${kept?.name ?? 'another container'} already runs ${key}`,
  };
}

/** Running first, then newest (createdAt), then by name: the container that stays matched. */
function preferred(a: ObservedContainer, b: ObservedContainer): number {
  const ra = a.state === 'running' ? 0 : 1;
  const rb = b.state === 'running' ? 0 : 1;
  if (ra !== rb) return ra - rb;
  const ca = a.createdAt ?? '';
  const cb = b.createdAt ?? '';
  if (ca !== cb) return ca < cb ? 1 : -1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Keys this container starts after, from the `slipway.depends-on` label: `process` entries are
 * processes of the same app and env, `app/process` entries another app's process in the same env.
 */
export function dependencyKeys(d: ContainerSpec, all: ContainerSpec[]): string[] {
  const raw = d.labels[LABELS.dependsOn];
  const env = envOf(d);
  if (!raw || !env) return [];
  const keys: string[] = [];
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [app, proc] = entry.includes('/') ? entry.split('/', 2) : [appOf(d), entry];
    for (const c of all) {
      if (c.key !== d.key && appOf(c) === app && envOf(c) === env && processOf(c) === proc) keys.push(c.key);
    }
  }
  return keys.sort();
}

const appOf = (c: ContainerSpec): string | undefined => c.app ?? c.labels[LABELS.app];
const envOf = (c: ContainerSpec): string | undefined => c.env ?? c.labels[LABELS.env];
const processOf = (c: ContainerSpec): string | undefined => c.process ?? c.labels[LABELS.process];
