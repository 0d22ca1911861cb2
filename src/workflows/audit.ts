// Audit log: one JSON line per action (deploy, rollback, up, maintenance, lock release), appended
// on the server so every operator sees the same history.
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { StateStore } from './state-store.ts';

export interface AuditEntry {
  at: string;
  by: string;
  action: string;
  env?: string;
  app?: string;
  release?: string;
  outcome: 'ok' | 'failed' | 'started';
  detail?: string;
  durationMs?: number;
}

export function operator(): string {
  return `${userInfo().username}@${hostname()}`;
}

/** One file per entry (`audit/<time>-<random>.json`): an append is a single upload, no read. */
export async function audit(store: StateStore, e: Omit<AuditEntry, 'at' | 'by'>, now = Date.now): Promise<void> {
  const at = new Date(now()).toISOString();
  await store.write(
    `audit/${at.replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.json`,
    `${JSON.stringify({ at, by: store.actor ?? operator(), ...e })}\n`,
  );
}

export async function readAudit(store: StateStore): Promise<AuditEntry[]> {
  const files = await store.readDir('audit');
  return [...files.values()].map((b) => JSON.parse(b.toString('utf8')) as AuditEntry).sort((a, b) => a.at.localeCompare(b.at));
}
