// The record of one move, kept on both servers (state file `moves/ENV.json` in each server's state
// volume), so a run killed or cut off on either side resumes from the last stage that finished:
// the copy with the higher `seq` wins. Stages run in order; each is idempotent.
import type { ServerRun } from '../server-run.ts';
import type { StateStore } from '../state-store.ts';

export const STAGES = ['preflight', 'provision', 'precopy', 'test', 'cutover'] as const;
export type StageName = (typeof STAGES)[number];

/** Where the move stands after its last finished step. */
export type MovePhase = 'running' | 'cut-over' | 'rolling-back' | 'rolled-back' | 'finished';

export interface MoveDatabase {
  service: string;
  database: string;
  user: string;
  method: 'logical' | 'dump';
  reason: string;
  /** Tables without a replica identity, copied whole during the cutover's pause. */
  copyAtCutover: string[];
  /** Publication/subscription name (logical). */
  name: string;
}

export interface TableCompare {
  database: string;
  table: string;
  srcRows: number;
  dstRows: number;
  equal: boolean;
}

export interface MoveRecord {
  version: 1;
  env: string;
  from: string;
  to: string;
  /** Increases on every write; the higher copy wins. */
  seq: number;
  phase: MovePhase;
  startedAt: string;
  updatedAt: string;
  done: Partial<Record<StageName, { at: string; ms: number }>>;
  databases: MoveDatabase[];
  volumes: { volume: string; files: number; bytes: number }[];
  testHosts: string[];
  cutover?: {
    at: string;
    /** Writes held on the source (first 503 to last), ms. */
    pauseMs: number;
    compare: TableCompare[];
    /** Reverse replication target → source set up (rollback keeps every write). */
    reverse: boolean;
  };
  /** The cutover or rollback under way or last done, step by step (move-switch.ts). */
  switch?: {
    dir: 'cutover' | 'rollback';
    steps: string[];
    /** When writes were first held (ms since the epoch). */
    heldAt?: number;
    pauseMs?: number;
    /** Worker containers stopped on the source at the cutover (a rollback starts them again). */
    stoppedWorkers: string[];
    /** Worker containers stopped on the target by a rollback (started again if it stops before the switch). */
    stoppedOnTarget?: string[];
    /** `held_writes: wait`: the web containers paused on the side taking over, where held writes wait (thawed at the switch). */
    pausedWeb?: string[];
    compare?: TableCompare[];
  };
  rollbackUntil?: string;
  /** A cutover found the sides different: the pre-copy starts over (its replication dropped first). */
  resync?: boolean;
  rolledBackAt?: string;
  finishedAt?: string;
  history: { at: string; event: string }[];
}

export const recordPath = (env: string): string => `moves/${env}.json`;

export function newRecord(env: string, from: string, to: string, now: number): MoveRecord {
  const at = new Date(now).toISOString();
  return {
    version: 1,
    env,
    from,
    to,
    seq: 0,
    phase: 'running',
    startedAt: at,
    updatedAt: at,
    done: {},
    databases: [],
    volumes: [],
    testHosts: [],
    history: [{ at, event: `move ${env} from ${from} to ${to} started` }],
  };
}

/** The newest copy of the record among these servers' (undefined: no move of this environment). */
export async function readRecord(stores: readonly StateStore[], env: string): Promise<MoveRecord | undefined> {
  let best: MoveRecord | undefined;
  for (const store of stores) {
    store.forget();
    const r = await store.readJson<MoveRecord>(recordPath(env));
    if (r && (!best || r.seq > best.seq)) best = r;
  }
  return best;
}

/** Writes the record to both servers at once (a resume takes the copy with the higher seq). */
export async function writeRecord(runs: readonly ServerRun[], rec: MoveRecord, now: number, event?: string): Promise<void> {
  rec.seq += 1;
  rec.updatedAt = new Date(now).toISOString();
  if (event) rec.history.push({ at: rec.updatedAt, event });
  await Promise.all(
    runs.map(async (run) => {
      await run.store.writeJson(recordPath(rec.env), rec);
      await run.store.flush();
    }),
  );
}

export function nextStage(rec: MoveRecord): StageName | undefined {
  return STAGES.find((s) => !rec.done[s]);
}
