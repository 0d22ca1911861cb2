// Plan: an ordered list of actions that turns observed state into desired state. Pure data:
// `plan --json` prints exactly this, and `up` executes `actions`, every one, in this order.
// What `up` does not do is said beside them: app container changes are left to `deploy`
// (`deploy`), and data the fleet no longer has is kept unless --destroy-data (`kept`).

export type ActionKind = 'create' | 'update' | 'replace' | 'delete' | 'run-once';
export type ResourceType = 'network' | 'volume' | 'container' | 'route' | 'database' | 'redis-db' | 'redis-acl' | 'proxy-config';

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
  /** True when executing the action loses data (volume removal, database drop, Redis DB flush). */
  destructive?: boolean;
  /**
   * For `replace` of a container: `start-first` creates the new container, waits for it, then
   * deletes the old one (zero downtime); `stop-first` deletes first (singletons, services, and
   * containers that publish host ports).
   */
  strategy?: 'start-first' | 'stop-first';
}

/** Data the fleet no longer has, left in place: a volume, a database or a Redis DB. */
export interface Kept {
  type: 'volume' | 'database' | 'redis-db';
  server: string;
  id: string;
  /** Why it stays, and how to remove it. */
  reason: string;
}

export interface DiffOptions {
  /**
   * Delete volumes, databases and Redis DBs the fleet no longer has (`--destroy-data`). Without
   * it they are listed in `kept` and never touched.
   */
  destroyData?: boolean;
}

export interface Plan {
  project: string;
  /** What `up` carries out, every one, in this order. */
  actions: Action[];
  summary: Record<ActionKind, number>;
  /**
   * App containers the fleet wants created, replaced or restarted: only `deploy APP ENV` (or
   * `rollback`) does that, since a new container is a release. Shown, never applied by `up`.
   */
  deploy: Action[];
  /** Data no longer in the fleet that stays (removed only with --destroy-data). */
  kept: Kept[];
  /** Environments the fleet file places on another server than the one they run on: left alone here, moved by `slipway move`. */
  moves?: PendingMove[];
}

/** An environment running on `from` that the fleet file places on `to`. */
export interface PendingMove {
  env: string;
  from: string;
  to: string;
  reason: string;
}

export const KEEP_HINT = 'removed only with --destroy-data';
