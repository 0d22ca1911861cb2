// Maintenance pages: the proxy of APP's server answers 503 for APP in ENV (or stops doing so),
// without touching its containers. The flag is kept in the server's state, so the next `up` or
// proxy recreate keeps it; the proxy is reloaded at once, and the change is audited.
import { UserError } from '../diag/errors.ts';
import { audit } from './audit.ts';
import { proxyInputs, readMaintenance, reloadProxy, writeMaintenance } from './proxy.ts';
import type { ServerRun } from './server-run.ts';

export interface MaintenanceOptions {
  app: string;
  env: string;
  on: boolean;
}

export interface MaintenanceResult {
  app: string;
  env: string;
  server: string;
  /** The state after the call. */
  maintenance: boolean;
  /** False when the proxy already served exactly this config. */
  reloaded: boolean;
  /** Every `app/env` of this server now in maintenance. */
  inMaintenance: string[];
}

export async function setMaintenance(run: ServerRun, opts: MaintenanceOptions): Promise<MaintenanceResult> {
  const { app, env, on } = opts;
  if (!run.state.routes.some((r) => r.app === app && r.env === env))
    throw new UserError(`${app} has no route in ${env}`, 'maintenance pages replace a route; give the app a web process and a domain');
  const set = await readMaintenance(run);
  const key = `${app}/${env}`;
  if (on) set.add(key);
  else set.delete(key);
  await writeMaintenance(run, set);
  const reloaded = await reloadProxy(run, await proxyInputs(run));
  await audit(run.store, { action: `maintenance ${on ? 'on' : 'off'}`, env, app, outcome: 'ok' }, run.now);
  return { app, env, server: run.conn.server.name, maintenance: on, reloaded, inMaintenance: [...set].sort() };
}
