// Diff of networks and volumes on one server. Missing ones are created. Observed ones labelled
// with this project and no longer desired are deleted; a volume delete is marked destructive
// and only carried out with --prune-volumes. An existing object with a desired name is used as
// is, even when it is not labelled ours (adoption of hand-made setups); objects without our
// project label are never deleted.
import type { NetworkSpec, VolumeSpec } from '../desire/desired.ts';
import { ownedBy, type ObservedNamed } from './observed.ts';
import type { Action } from './plan.ts';

export const VOLUME_DELETE_REASON = 'no longer in the fleet; data loss: volume holds data; removed only with --prune-volumes';

export function diffNetworks(server: string, project: string, desired: NetworkSpec[], observed: ObservedNamed[]): Action[] {
  return diffNamed(server, project, 'network', desired, observed);
}

export function diffVolumes(server: string, project: string, desired: VolumeSpec[], observed: ObservedNamed[]): Action[] {
  return diffNamed(server, project, 'volume', desired, observed);
}

function diffNamed(server: string, project: string, type: 'network' | 'volume', desired: { name: string }[], observed: ObservedNamed[]): Action[] {
  const actions: Action[] = [];
  const have = new Set(observed.map((o) => o.name));
  const want = new Set(desired.map((d) => d.name));
  for (const d of desired) {
    if (!have.has(d.name)) actions.push({ kind: 'create', type, server, id: d.name, reason: `${type} does not exist` });
  }
  const gone = new Set<string>();
  for (const o of observed) {
    if (want.has(o.name) || gone.has(o.name) || !ownedBy(o.labels, project)) continue;
    gone.add(o.name);
    if (type === 'volume') {
      actions.push({ kind: 'delete', type, server, id: o.name, reason: VOLUME_DELETE_REASON, destructive: true });
    } else {
      actions.push({ kind: 'delete', type, server, id: o.name, reason: 'no longer in the fleet' });
    }
  }
  return actions;
}
