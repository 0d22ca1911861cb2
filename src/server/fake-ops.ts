// A recording fake of the ControlPlaneOps port, for in-process API tests and for running the
// API without a fleet: environments are given, every call is recorded, deploys and rollbacks
// answer a made-up release, and audit entries are kept in memory.
import type { DeployResult } from '../workflows/deploy.ts';
import type { MaintenanceResult } from '../workflows/maintenance.ts';
import type { Actor, ApiAuditEntry, ControlPlaneOps, DeployRequest, EnvInfo, FleetView, RollbackRequest } from './ops.ts';

export type FakeOpsCall =
  | { op: 'deploy'; app: string; env: string; req: DeployRequest }
  | { op: 'rollback'; app: string; env: string; req: RollbackRequest }
  | { op: 'maintenance'; env: string; on: boolean; actor: Actor };

export class FakeOps implements ControlPlaneOps {
  readonly calls: FakeOpsCall[] = [];
  readonly entries: ApiAuditEntry[] = [];
  #release = 0;
  /** Servers the fleet view reports as unreachable. */
  unreachable: FleetView['unreachable'] = [];
  /** Set to make the next deploy throw this. */
  failNext: unknown;

  constructor(readonly envs: EnvInfo[]) {}

  async fleet(): Promise<FleetView> {
    return {
      environments: this.envs,
      processes: this.envs.flatMap((e) =>
        e.apps.map((app) => ({
          server: 's1',
          env: e.name,
          app,
          process: 'web',
          replica: 0,
          role: 'app',
          container: `${app}-${e.name}-web`,
          release: 'r1',
          state: 'running',
          health: 'healthy' as const,
          uptimeS: 60,
          memUsage: 1,
          memLimit: 2,
        })),
      ),
      backups: [],
      unreachable: this.unreachable,
    };
  }

  async environment(name: string): Promise<EnvInfo | undefined> {
    return this.envs.find((e) => e.name === name);
  }

  async deploy(app: string, env: string, req: DeployRequest): Promise<DeployResult> {
    this.calls.push({ op: 'deploy', app, env, req });
    if (this.failNext !== undefined) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    return this.#result(app, env, req.ref);
  }

  async rollback(app: string, env: string, req: RollbackRequest): Promise<DeployResult> {
    this.calls.push({ op: 'rollback', app, env, req });
    return this.#result(app, env);
  }

  async setMaintenance(env: string, on: boolean, actor: Actor): Promise<MaintenanceResult[]> {
    this.calls.push({ op: 'maintenance', env, on, actor });
    const apps = this.envs.find((e) => e.name === env)?.apps ?? [];
    return apps.map((app) => ({ app, env, server: 's1', maintenance: on, reloaded: true, inMaintenance: on ? apps.map((a) => `${a}/${env}`) : [] }));
  }

  async audit(entry: ApiAuditEntry): Promise<void> {
    this.entries.push(entry);
  }

  async auditLog(): Promise<ApiAuditEntry[]> {
    return [...this.entries];
  }

  #result(app: string, env: string, ref?: string): DeployResult {
    const release = `r${++this.#release + 1}`;
    return { app, env, server: 's1', release, image: `${app}:${release}`, ...(ref ? { ref } : {}), urls: [], durationMs: 0, recovered: [] };
  }
}
