// Redis DB numbers are allocated once and kept on the server, so adding an environment never
// renumbers an existing one: `desire` takes the stored allocations as its starting point, and
// `up` records them as its plan's redis-db actions leave them.
import type { RedisDbSpec } from '../plan/desire/desired.ts';
import type { StateStore } from './state-store.ts';

const PATH = 'redis/allocations.json';

export async function loadRedisAllocations(store: StateStore): Promise<RedisDbSpec[]> {
  return (await store.readJson<RedisDbSpec[]>(PATH)) ?? [];
}

export async function writeRedisAllocations(store: StateStore, allocations: RedisDbSpec[]): Promise<void> {
  await store.writeJson(PATH, allocations);
}
