// Plan: an ordered list of actions that turns observed state into desired state. Pure data:
// `plan --json` prints exactly this, and `apply` executes it.

export type ActionKind = 'create' | 'update' | 'replace' | 'delete' | 'run-once';
export type ResourceType = 'network' | 'volume' | 'container' | 'route' | 'database' | 'redis-db' | 'proxy-config';

export interface Action {
  kind: ActionKind;
  type: ResourceType;
  server: string;
  /** Resource identity: network/volume name, container key, route host. */
  id: string;
  reason: string;
  /** Field-level changes for update/replace: field -> [before, after] (secrets redacted). */
  changes?: Record<string, [unknown, unknown]>;
}

export interface Plan {
  project: string;
  actions: Action[];
  summary: Record<ActionKind, number>;
}
