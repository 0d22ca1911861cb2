// How a deploy treats each app process, beyond its container settings (pure):
// - stateful: a database, broker or store (by image: model/data-images.ts), or a process that owns
//   a data volume no other process of the app mounts. Two copies would share its data, so it is
//   replaced stop-first, and only when its spec changed;
// - task: a process another one waits for with compose's `service_completed_successfully`
//   (migrations, init jobs): run to completion once per deploy before its dependents, never
//   restarted;
// - waitsFor: the processes of the same app it starts after, each with the condition it waits for.
import type { DependsCondition, ProcessSpec } from '../../config/fleet.ts';
import { imageName, isStatefulImage } from '../../model/data-images.ts';
import type { Placement } from './placement.ts';

export interface ProcessKind {
  stateful?: string;
  task?: true;
  waitsFor?: { process: string; condition: DependsCondition }[];
}

/** `image`: the process's image as desired (processImage). */
export function processKind(p: Placement, proc: ProcessSpec, image: string): ProcessKind {
  const processes = p.appEnv.processes;
  const out: ProcessKind = {};
  const names = new Set(processes.map((o) => o.name));
  const waitsFor = proc.dependsOn
    .filter((d) => d !== proc.name && names.has(d))
    .map((d) => ({ process: d, condition: proc.dependsOnCondition?.[d] ?? ('service_started' as const) }));
  if (waitsFor.length > 0) out.waitsFor = waitsFor;
  if (processes.some((o) => o.dependsOnCondition?.[proc.name] === 'service_completed_successfully')) {
    out.task = true;
    return out;
  }
  const why = statefulReason(p, proc, image);
  if (why !== undefined) out.stateful = why;
  return out;
}

/** Why two copies of this process must never run at once, or undefined. */
export function statefulReason(p: Placement, proc: ProcessSpec, image: string): string | undefined {
  if (isStatefulImage(image)) return `${imageName(image)} image`;
  if (proc.replicas > 1) return undefined; // replicas share their volumes by design
  // Volumes the fleet file gives the whole app (media, uploads) are shared files, not one process's data.
  const appLevel = p.app.source.kind === 'compose' ? new Set<string>() : new Set(p.app.volumes);
  const mounted = (o: ProcessSpec) => [...Object.keys(o.volumes), ...Object.keys(o.externalVolumes ?? {})];
  const own = mounted(proc).filter((v) => !appLevel.has(v) && !p.appEnv.processes.some((o) => o !== proc && mounted(o).includes(v)));
  return own.length > 0 ? `owns data volume ${own.sort()[0]}` : undefined;
}
