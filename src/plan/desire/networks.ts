// Which networks an app process joins, and the names it answers to on each.
// - An app without compose networks: its env's private network, alias `{app}-{env}-{process}`.
// - A compose app: each compose network it lists is one network per app and environment
//   (`{project}-{env}-{app}-{network}`, `internal: true` kept), where it also answers to its short
//   compose names (`db`, `redis`, `backend`, container_name, hostname, links). Those networks are
//   the app's own, so `db` in staging is staging's database, and two apps that both have a `db`
//   never meet on one. External networks are joined by their own name with the long alias only
//   (other environments may be on them too).
//   It also joins its env's private network, where shared services and other apps live, only
//   when it needs to and compose would let it out: it is on a non-internal network, and its app
//   uses a shared service, or it names another app's process (`${app.process}`), or another app
//   names it. So the compose file's segmentation holds: a front-end and a database on separate
//   networks do not meet on the env network.
// - A routed process (the app's web process, or one with its own domains) also joins the env's
//   edge network, the proxy's only way in; nothing else does.
import type { Fleet, ProcessSpec } from '../../config/fleet.ts';
import { LABELS } from '../../model/labels.ts';
import { appNetwork, edgeNetwork, privateNetwork, processAlias } from '../../model/names.ts';
import { parseProcessRef, references } from '../../model/interpolate.ts';
import type { ContainerNet, ExternalSpec, NetworkSpec } from './desired.ts';
import type { Placement } from './placement.ts';
import { webProcess } from './web-process.ts';

/** `env/app/process` of every process another app of the same env names with `${app.process}`. */
export type NamedFromOtherApps = ReadonlySet<string>;

export function namedFromOtherApps(placements: readonly Placement[]): NamedFromOtherApps {
  const out = new Set<string>();
  for (const pl of placements)
    for (const target of referencedProcesses(pl, undefined)) if (target.app !== pl.app.name) out.add(`${pl.env.name}/${target.app}/${target.process}`);
  return out;
}

/** The `${app.process}` targets in the env values of an app env (one process's, or all of them). */
function referencedProcesses(pl: Placement, proc: ProcessSpec | undefined): { app: string; process: string }[] {
  const values = [...Object.values(pl.appEnv.env_vars), ...(proc ? [proc] : pl.appEnv.processes).flatMap((p) => Object.values(p.env))];
  const out: { app: string; process: string }[] = [];
  for (const v of values) {
    if (v.kind !== 'plain') continue;
    for (const ref of references(v.value)) {
      const t = parseProcessRef(ref);
      if (t) out.push(t);
    }
  }
  return out;
}

/** Whether a process is reached by the proxy: the app's web process (with a port), or one with its own domains. */
export function isRouted(pl: Placement, proc: ProcessSpec): boolean {
  if (proc.port === undefined) return false;
  return webProcess(pl.appEnv.processes) === proc || (proc.domains?.length ?? 0) > 0;
}

export function processNetworks(project: string, pl: Placement, proc: ProcessSpec, named: NamedFromOtherApps): ContainerNet[] {
  const app = pl.app.name;
  const env = pl.env.name;
  const long = processAlias(app, env, proc.name);
  const out: ContainerNet[] = [];
  if (proc.networks === undefined || joinsEnvNetwork(pl, proc, named)) out.push({ network: privateNetwork(project, env), aliases: [long] });
  const short = [...new Set(proc.aliases ?? [])].filter((a) => a !== long);
  for (const n of proc.networks ?? []) {
    if (n.external !== undefined) out.push({ network: n.external, aliases: [long] });
    else out.push({ network: appNetwork(project, env, app, n.name), aliases: [long, ...short] });
  }
  if (isRouted(pl, proc)) out.push({ network: edgeNetwork(project, env), aliases: [long] });
  return out;
}

function joinsEnvNetwork(pl: Placement, proc: ProcessSpec, named: NamedFromOtherApps): boolean {
  if (!(proc.networks ?? []).some((n) => !n.internal)) return false;
  if (pl.app.uses.length > 0) return true;
  if (named.has(`${pl.env.name}/${pl.app.name}/${proc.name}`)) return true;
  return referencedProcesses(pl, proc).some((t) => t.app !== pl.app.name);
}

/** The app's own networks in one env (created per env) and the external networks and volumes it uses. */
export function appNetworkSpecs(fleet: Fleet, pl: Placement): { networks: NetworkSpec[]; externals: ExternalSpec[] } {
  const p = fleet.project;
  const app = pl.app.name;
  const env = pl.env.name;
  const networks = new Map<string, NetworkSpec>();
  const externals = new Map<string, ExternalSpec>();
  for (const proc of pl.appEnv.processes) {
    for (const n of proc.networks ?? []) {
      if (n.external !== undefined) {
        externals.set(`network ${n.external}`, { type: 'network', name: n.external, env, app });
        continue;
      }
      const name = appNetwork(p, env, app, n.name);
      if (networks.has(name)) continue;
      const spec: NetworkSpec = {
        name,
        purpose: 'app',
        env,
        app,
        labels: { [LABELS.project]: p, [LABELS.env]: env, [LABELS.app]: app, [LABELS.network]: 'app', [LABELS.composeNetwork]: n.name },
      };
      if (n.internal) spec.internal = true;
      networks.set(name, spec);
    }
    for (const v of Object.keys(proc.externalVolumes ?? {})) externals.set(`volume ${v}`, { type: 'volume', name: v, env, app });
  }
  return { networks: [...networks.values()], externals: [...externals.values()] };
}
