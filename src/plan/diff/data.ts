// Diff of databases and Redis DB allocations on one server. Missing ones are created. Nothing is
// ever deleted automatically: a database or Redis DB recorded on the server but absent from the
// fleet produces NO action (dropping data is a manual decision, and a plan that counted it as a
// delete would be wrong about what apply does). A database whose owner changed is an update
// (grant to the new user). A Redis DB number recorded for another env/app is a destructive
// update: it still holds that env's keys and must be flushed before reuse.
import type { DatabaseSpec, RedisDbSpec } from '../desire/desired.ts';
import type { ObservedDatabase } from './observed.ts';
import type { Action } from './plan.ts';

export function databaseId(d: { instance: string; database: string }): string {
  return `${d.instance}/${d.database}`;
}

export function redisDbId(r: { instance: string; db: number }): string {
  return `${r.instance}/db${r.db}`;
}

export function diffDatabases(server: string, desired: DatabaseSpec[], observed: ObservedDatabase[]): Action[] {
  const actions: Action[] = [];
  const have = new Map(observed.map((o) => [databaseId(o), o]));
  for (const d of desired) {
    const id = databaseId(d);
    const o = have.get(id);
    if (!o) {
      actions.push({
        kind: 'create',
        type: 'database',
        server,
        id,
        reason: `database ${d.database} (owner ${d.user}, for ${d.app}/${d.env}) does not exist`,
      });
    } else if (o.user !== d.user) {
      actions.push({
        kind: 'update',
        type: 'database',
        server,
        id,
        reason: `owner changed: grant ${d.database} to ${d.user}`,
        changes: { user: [o.user, d.user] },
      });
    }
  }
  return actions;
}

export function diffRedisDbs(server: string, desired: RedisDbSpec[], observed: RedisDbSpec[]): Action[] {
  const actions: Action[] = [];
  const have = new Map(observed.map((o) => [redisDbId(o), o]));
  for (const d of desired) {
    const id = redisDbId(d);
    const o = have.get(id);
    if (!o) {
      actions.push({ kind: 'create', type: 'redis-db', server, id, reason: `allocate db ${d.db} to ${d.app}/${d.env}` });
    } else if (o.env !== d.env || o.app !== d.app) {
      actions.push({
        kind: 'update',
        type: 'redis-db',
        server,
        id,
        reason: `reassign db ${d.db} from ${o.app}/${o.env} to ${d.app}/${d.env}; data loss: it is flushed first`,
        changes: { owner: [`${o.app}/${o.env}`, `${d.app}/${d.env}`] },
        destructive: true,
      });
    }
  }
  return actions;
}
