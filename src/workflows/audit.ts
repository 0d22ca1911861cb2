// Audit log: one JSON line per action (deploy, rollback, up, maintenance, lock release), appended
// on the server so every operator sees the same history.
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

export async function audit(store: StateStore, e: Omit<AuditEntry, 'at' | 'by'>, now = Date.now): Promise<void> {
  await store.appendLine('audit.log', JSON.stringify({ at: new Date(now()).toISOString(), by: operator(), ...e }));
}

export async function readAudit(store: StateStore): Promise<AuditEntry[]> {
  const text = (await store.read('audit.log'))?.toString('utf8') ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}
