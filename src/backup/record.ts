// The backup record: what the server keeps about each backup of an environment (its state store,
// `backups/{env}/{id}.json`), so every operator sees the same list. The objects and the manifest
// are in the destinations; the record says how the run went and how the last verification went.
//
// Status: `running` while the backup is taken (under the environment's lock); `ok` only once every
// destination holds every object with size and sha256 checked after upload and its manifest;
// `partial` when at least one destination is complete and another failed (the complete copies are
// kept); `failed` when none is complete. A record left `running` by a killed process is never ok:
// the next backup or prune of the environment (under the lock) removes its objects and its record.

import type { BackupWhat } from '../config/backup-policy.ts';

export type BackupStatus = 'running' | 'ok' | 'partial' | 'failed';

export interface DestinationOutcome {
  /** Destination name in the fleet file. */
  name: string;
  /** `ok`: every object stored, read back/stat-checked, and the manifest written last; `pruned`: removed there by retention. */
  status: 'running' | 'ok' | 'failed' | 'pruned';
  /** First line of the error that failed it (no secret). */
  error?: string;
  objects: number;
  /** Bytes stored (encrypted). */
  bytes: number;
}

/** The outcome of `backup verify` (restored into a throwaway container and compared with the manifest). */
export interface BackupVerification {
  /** ISO 8601, when the verification finished. */
  at: string;
  durationMs: number;
  result: 'ok' | 'failed';
  /** Which destination the objects were read from. */
  destination?: string;
  /** What did not match (a table, a file), or why it could not run. */
  detail?: string;
  by?: string;
}

export interface BackupRecord {
  format: 'slipway-backup-record/1';
  id: string;
  project: string;
  env: string;
  /** The server the environment runs on (where the data was read). */
  server: string;
  status: BackupStatus;
  /** ISO 8601. */
  startedAt: string;
  finishedAt?: string;
  /** user@host of the operator (or CI) that ran it. */
  by: string;
  what: BackupWhat[];
  destinations: DestinationOutcome[];
  /** Encrypted bytes of one copy (what one destination stores). */
  bytes: number;
  /** Plaintext bytes read from the databases and volumes. */
  plainBytes: number;
  /** Each object's key (inside the backup) with its sizes: the next backup's progress estimates its ETA from them. */
  objects?: { key: string; size: number; plainSize: number }[];
  /** Why the backup is not ok (names the destination or the step). */
  error?: string;
  /** The last verification, whatever its result (filled by `backup verify`). */
  verification?: BackupVerification;
  /** When a verification last passed (ISO 8601); retention never deletes the newest backup that has one. */
  verifiedAt?: string;
}

/** The record's path in the server's state store. */
export function recordPath(env: string, id: string): string {
  return `backups/${env}/${id}.json`;
}

/** The state-store directory holding an environment's records. */
export function recordDir(env: string): string {
  return `backups/${env}`;
}

/** The overall status once every destination has finished. */
export function overallStatus(destinations: readonly DestinationOutcome[], error?: string): BackupStatus {
  const ok = destinations.filter((d) => d.status === 'ok').length;
  if (ok === 0) return 'failed';
  if (ok === destinations.length && !error) return 'ok';
  return 'partial';
}
