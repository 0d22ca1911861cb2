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
  /** Physical name of the existing object acted on (the old container of update/replace/delete). */
  target?: string;
  /** Field-level changes for update/replace: field -> [before, after] (secrets redacted). */
  changes?: Record<string, [unknown, unknown]>;
  /** True when executing the action can lose data (volume removal, Redis DB reassignment). */
  destructive?: boolean;
  /**
   * For `replace` of a container: `start-first` creates the new container, waits for it, then
   * deletes the old one (zero downtime); `stop-first` deletes first (singletons, services, and
   * containers that publish host ports).
   */
  strategy?: 'start-first' | 'stop-first';
}

export interface Plan {
  project: string;
  actions: Action[];
  summary: Record<ActionKind, number>;
}
