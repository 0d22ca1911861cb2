// The read side of the audit log: entries from every server of a session (or only those about one
// environment), oldest first, each with the server it was kept on.
import { type AuditEntry, readAudit } from './audit.ts';
import type { FleetSession } from './fleet-session.ts';

export interface ServerAuditEntry extends AuditEntry {
  server: string;
}

export interface AuditLogOptions {
  /** Only entries about this environment. */
  env?: string;
  /** The last N entries (all when omitted). */
  tail?: number;
}

export async function readAuditLog(session: FleetSession, opts: AuditLogOptions = {}): Promise<ServerAuditEntry[]> {
  const perServer = await Promise.all(
    [...session.runs].map(async ([server, run]) => (await readAudit(run.store)).filter((e) => !opts.env || e.env === opts.env).map((e) => ({ server, ...e }))),
  );
  const entries = perServer.flat().sort((a, b) => a.at.localeCompare(b.at));
  return opts.tail === undefined ? entries : entries.slice(Math.max(0, entries.length - opts.tail));
}
