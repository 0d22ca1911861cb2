// Redis DB numbers are allocated once and kept on the server, so adding an environment never
// renumbers an existing one: `desire` takes the stored allocations as its starting point.
import type { RedisDbSpec } from '../plan/desire/desired.ts';
import type { ServerRun } from './server-run.ts';
import type { StateStore } from './state-store.ts';

const PATH = 'redis/allocations.json';

export async function loadRedisAllocations(store: StateStore): Promise<RedisDbSpec[]> {
  return (await store.readJson<RedisDbSpec[]>(PATH)) ?? [];
}

export async function saveRedisAllocations(run: ServerRun): Promise<void> {
  const prev = await loadRedisAllocations(run.store);
  const next = run.state.redisDbs;
  if (JSON.stringify(prev) !== JSON.stringify(next)) await run.store.writeJson(PATH, next);
}

export async function writeRedisAllocations(store: StateStore, allocations: RedisDbSpec[]): Promise<void> {
  await store.writeJson(PATH, allocations);
}
