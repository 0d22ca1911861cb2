// App containers in desired state: one per (app, env, process, replica), with image, merged and
// interpolated env, limits, networks and aliases (networks.ts), mounts, labels and the spec hash.
import type { EnvValue, Fleet, ProcessSpec } from '../../config/fleet.ts';
import type { ContainerSpec, VolumeSpec } from './desired.ts';
import { type NamedFromOtherApps, processNetworks } from './networks.ts';
import { appContainerKey, appContainerName, appVolume } from '../../model/names.ts';
import { LABELS } from '../../model/labels.ts';
import type { Placement } from './placement.ts';
import { sortRecord } from './services.ts';
import { specHash } from './hash.ts';
import { processKind } from './process-kind.ts';
import { containerBinds, filesVolumeOf } from './mounts.ts';
import { interpolateEnvValue } from '../../model/interpolate.ts';
import { effectiveContainerOptions, envScope } from '../../config/container-defaults.ts';

/** Image of a process: its own image, its own build, the app's image, or the app's build. */
export function processImage(project: string, p: Placement, proc: ProcessSpec): string {
  if (proc.image !== undefined) return proc.image;
  if (proc.build !== undefined) return `${project}/${p.app.name}-${proc.name}:current`;
  if (p.app.source.kind === 'image') return p.app.source.image;
  return `${project}/${p.app.name}:current`;
}

export { webProcess } from './web-process.ts';

export function appContainers(
  fleet: Fleet,
  p: Placement,
  injected: Record<string, EnvValue>,
  named: NamedFromOtherApps = new Set(),
): { containers: ContainerSpec[]; volumes: VolumeSpec[] } {
  const project = fleet.project;
  const app = p.app.name;
  const env = p.env.name;
  const ctx = { fleet, env, app };
  const containers: ContainerSpec[] = [];
  const volumes: VolumeSpec[] = [];
  const volLabels = { [LABELS.project]: project, [LABELS.app]: app, [LABELS.env]: env };
  const volNames = new Set<string>(p.app.volumes);
  for (const proc of p.appEnv.processes) for (const v of Object.keys(proc.volumes)) volNames.add(v);
  for (const v of [...volNames].sort()) volumes.push({ name: appVolume(project, env, app, v), labels: { ...volLabels } });
  const files = filesVolumeOf(project, env, p.appEnv.processes);
  if (files) volumes.push(files);

  for (const proc of p.appEnv.processes) {
    const networks = processNetworks(project, p, proc, named);
    const envVars: Record<string, EnvValue> = {};
    for (const [k, v] of Object.entries({ ...p.appEnv.env_vars, ...proc.env })) envVars[k] = interpolateEnvValue(v, ctx);
    for (const [k, v] of Object.entries(injected)) if (!(k in envVars)) envVars[k] = v;
    const mounts: Record<string, string> = {};
    for (const [v, path] of Object.entries(proc.volumes).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      mounts[appVolume(project, env, app, v)] = path;
    }
    // External volumes (compose `external: true`) are mounted by their own name.
    for (const [v, path] of Object.entries(proc.externalVolumes ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1))) mounts[v] = path;
    const binds = containerBinds(proc);
    const options = effectiveContainerOptions(envScope(p.env), proc);
    const kind = processKind(p, proc, processImage(project, p, proc));
    const memory = proc.memory ?? p.env.limits.memory;
    const cpus = proc.cpus ?? p.env.limits.cpus;
    for (let r = 0; r < proc.replicas; r++) {
      const labels: Record<string, string> = {
        ...options.labels,
        [LABELS.project]: project,
        [LABELS.app]: app,
        [LABELS.env]: env,
        [LABELS.process]: proc.name,
        [LABELS.replica]: String(r),
        [LABELS.role]: 'app',
      };
      const c: Omit<ContainerSpec, 'specHash'> = {
        ...structuredClone(options),
        key: appContainerKey(app, env, proc.name, r),
        name: appContainerName(project, app, env, proc.name, r),
        role: 'app',
        app,
        env,
        process: proc.name,
        replica: r,
        image: processImage(project, p, proc),
        env_vars: sortRecord(envVars),
        labels,
        networks: networks.map((n) => ({ network: n.network, aliases: [...n.aliases] })),
        mounts: { ...mounts },
        ...(binds.length > 0 ? { binds: structuredClone(binds) } : {}),
        health: proc.health ? { ...proc.health } : null,
        restart: kind.task ? 'no' : (options.restart ?? 'unless-stopped'),
        singleton: proc.singleton,
        ...structuredClone(kind),
        stopTimeoutS: proc.stopTimeoutS,
        publish: [],
      };
      if (proc.command !== undefined) c.command = [...proc.command];
      if (memory !== undefined) c.memory = memory;
      if (cpus !== undefined) c.cpus = cpus;
      if (proc.port !== undefined) c.port = proc.port;
      const hash = specHash(c);
      labels[LABELS.specHash] = hash;
      containers.push({ ...c, specHash: hash });
    }
  }
  return { containers, volumes };
}
