// Diff of databases and Redis DB allocations on one server. Missing ones are created. A database
// whose owner changed is an update (grant to the new user). A Redis DB number recorded for another
// env/app is a destructive update: it still holds that env's keys and is flushed before reuse.
// A database or Redis DB recorded on the server but absent from the fleet holds data: it is kept
// (and listed as kept; a kept Redis DB keeps its number reserved) unless --destroy-data, when it
// is dropped or flushed by a destructive delete.
import type { DatabaseSpec, RedisDbSpec, RedisUserSpec } from '../desire/desired.ts';
import { redisAclDigest } from '../desire/redis-users.ts';
import type { ObservedDatabase, ObservedRedisAcl } from './observed.ts';
import { KEEP_HINT, type Action, type Kept } from './plan.ts';

export interface DataDiff {
  actions: Action[];
  kept: Kept[];
}

export function databaseId(d: { instance: string; database: string }): string {
  return `${d.instance}/${d.database}`;
}

export function redisDbId(r: { instance: string; db: number }): string {
  return `${r.instance}/db${r.db}`;
}

export function diffDatabases(server: string, desired: DatabaseSpec[], observed: ObservedDatabase[], destroyData = false): DataDiff {
  const out: DataDiff = { actions: [], kept: [] };
  const have = new Map(observed.map((o) => [databaseId(o), o]));
  for (const d of desired) {
    const id = databaseId(d);
    const o = have.get(id);
    if (!o) {
      out.actions.push({
        kind: 'create',
        type: 'database',
        server,
        id,
        reason: `database ${d.database} (owner ${d.user}, for ${d.app}/${d.env}) does not exist`,
      });
    } else if (o.user !== d.user) {
      out.actions.push({
        kind: 'update',
        type: 'database',
        server,
        id,
        reason: `owner changed: grant ${d.database} to ${d.user}`,
        changes: { user: [o.user, d.user] },
      });
    }
  }
  const want = new Set(desired.map(databaseId));
  for (const o of uniqueBy(observed, databaseId)) {
    const id = databaseId(o);
    if (want.has(id)) continue;
    if (destroyData) {
      out.actions.push({
        kind: 'delete',
        type: 'database',
        server,
        id,
        reason: `no longer in the fleet; data loss: database ${o.database} and its user ${o.user} are dropped (--destroy-data)`,
        destructive: true,
      });
    } else {
      out.kept.push({ type: 'database', server, id, reason: `no longer in the fleet; database ${o.database} and its user ${o.user} are kept, ${KEEP_HINT}` });
    }
  }
  return out;
}

export function diffRedisDbs(server: string, desired: RedisDbSpec[], observed: RedisDbSpec[], destroyData = false): DataDiff {
  const out: DataDiff = { actions: [], kept: [] };
  const have = new Map(observed.map((o) => [redisDbId(o), o]));
  for (const d of desired) {
    const id = redisDbId(d);
    const o = have.get(id);
    if (!o) {
      out.actions.push({ kind: 'create', type: 'redis-db', server, id, reason: `allocate db ${d.db} to ${d.app}/${d.env}` });
    } else if (o.env !== d.env || o.app !== d.app) {
      out.actions.push({
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
  const want = new Set(desired.map(redisDbId));
  for (const o of uniqueBy(observed, redisDbId)) {
    const id = redisDbId(o);
    if (want.has(id)) continue;
    if (destroyData) {
      out.actions.push({
        kind: 'delete',
        type: 'redis-db',
        server,
        id,
        reason: `no longer in the fleet; data loss: db ${o.db} (${o.app}/${o.env}) is flushed and its number released (--destroy-data)`,
        destructive: true,
      });
    } else {
      out.kept.push({
        type: 'redis-db',
        server,
        id,
        reason: `no longer in the fleet; db ${o.db} (${o.app}/${o.env}) keeps its keys and its number stays reserved, ${KEEP_HINT}`,
      });
    }
  }
  return out;
}

/**
 * Redis ACLs per instance: applied again when the users or their rules differ from what `up` last
 * recorded (a new environment, a new prefix, a user no app needs any more). `instances` are the
 * Redis instances the fleet keeps on this server; an instance no app uses has its users removed.
 */
export function diffRedisAcls(
  server: string,
  desired: readonly RedisUserSpec[],
  observed: readonly ObservedRedisAcl[],
  instances: readonly string[],
): Action[] {
  const out: Action[] = [];
  const ids = [...new Set([...instances, ...desired.map((u) => u.instance)])].sort();
  for (const instance of ids) {
    const users = desired.filter((u) => u.instance === instance);
    const o = observed.find((x) => x.instance === instance);
    if (users.length === 0 && (!o || o.users.length === 0)) continue;
    const digest = redisAclDigest(users);
    if (o?.digest === digest) continue;
    const names = users.map((u) => u.user);
    const gone = (o?.users ?? []).filter((u) => !names.includes(u));
    const what = users.map((u) => (u.keyPrefixes.length ? `${u.user} (${u.keyPrefixes.map((p) => `${p}*`).join(' ')})` : `${u.user} (every key)`));
    out.push({
      kind: o ? 'update' : 'create',
      type: 'redis-acl',
      server,
      id: instance,
      reason: `${o ? 'apply' : 'create'} ACL users ${what.join(', ') || '(none)'}${gone.length ? `; remove ${gone.join(', ')}` : ''}`,
    });
  }
  return out;
}

function uniqueBy<T>(xs: readonly T[], id: (x: T) => string): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = id(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
