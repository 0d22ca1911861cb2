// The shapes the dashboard reads from the HTTP API. They are the API's own types (src/server/ops.ts),
// plus the parts the pages show when the API gives them and the fake does not yet: per-server
// samples (memory, disk, load) and a backup's size.
import type { Principal } from '../server/auth/authorize.ts';
import type { ServerSample } from '../server/metrics/metrics-source.ts';
import type { ApiAuditEntry, FleetView } from '../server/ops.ts';

/** GET /api/me. */
export interface MeView extends Principal {
  csrfToken?: string;
}

export type BackupView = FleetView['backups'][number] & { sizeBytes?: number };

/** GET /api/fleet, with the optional parts the pages show when present. */
export type FleetPageData = Omit<FleetView, 'backups'> & { backups: BackupView[]; servers?: ServerSample[] };

export type ProcessView = FleetView['processes'][number];
export type EnvView = FleetView['environments'][number];

/** GET /api/audit. */
export interface AuditView {
  entries: ApiAuditEntry[];
}
