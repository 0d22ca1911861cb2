// Diff of networks and volumes on one server. Missing ones are created. Observed ones labelled
// with this project and no longer desired: a network is deleted; a volume holds data, so it is
// kept (listed as such) unless --destroy-data, when its delete is a destructive action. An
// existing object with a desired name is used as is, even when it is not labelled ours (adoption
// of hand-made setups); objects without our project label are never deleted.
import type { NetworkSpec, VolumeSpec } from '../desire/desired.ts';
import { ownedBy, type ObservedNamed } from './observed.ts';
import { KEEP_HINT, type Action, type Kept } from './plan.ts';

export const VOLUME_DELETE_REASON = 'no longer in the fleet; data loss: the volume and its data are deleted (--destroy-data)';
export const VOLUME_KEEP_REASON = `no longer in the fleet; holds data: kept, ${KEEP_HINT}`;

export interface StorageDiff {
  actions: Action[];
  kept: Kept[];
}

export function diffNetworks(server: string, project: string, desired: NetworkSpec[], observed: ObservedNamed[]): Action[] {
  const actions: Action[] = [];
  for (const d of missing(desired, observed)) actions.push({ kind: 'create', type: 'network', server, id: d.name, reason: 'network does not exist' });
  for (const o of extra(project, desired, observed)) actions.push({ kind: 'delete', type: 'network', server, id: o.name, reason: 'no longer in the fleet' });
  return actions;
}

export function diffVolumes(server: string, project: string, desired: VolumeSpec[], observed: ObservedNamed[], destroyData = false): StorageDiff {
  const out: StorageDiff = { actions: [], kept: [] };
  for (const d of missing(desired, observed)) out.actions.push({ kind: 'create', type: 'volume', server, id: d.name, reason: 'volume does not exist' });
  for (const o of extra(project, desired, observed)) {
    if (destroyData) out.actions.push({ kind: 'delete', type: 'volume', server, id: o.name, reason: VOLUME_DELETE_REASON, destructive: true });
    else out.kept.push({ type: 'volume', server, id: o.name, reason: VOLUME_KEEP_REASON });
  }
  return out;
}

function missing<T extends { name: string }>(desired: T[], observed: ObservedNamed[]): T[] {
  const have = new Set(observed.map((o) => o.name));
  return desired.filter((d) => !have.has(d.name));
}

/** Observed objects of this project that no desired object is named like, once each. */
function extra(project: string, desired: { name: string }[], observed: ObservedNamed[]): ObservedNamed[] {
  const want = new Set(desired.map((d) => d.name));
  const seen = new Set<string>();
  return observed.filter((o) => {
    if (want.has(o.name) || seen.has(o.name) || !ownedBy(o.labels, project)) return false;
    seen.add(o.name);
    return true;
  });
}
