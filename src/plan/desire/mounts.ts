// Bind mounts of app containers (compose binds, configs and secrets; config/compose/bind-sources.ts
// says what each one is):
// - a host path is bound as it is;
// - repository content is shipped by each deploy into the environment's files volume
//   `{project}-{env}-files`, at `<address>/<name>` (model/file-digest.ts), and bound from there:
//   one copy per environment and content, read-only where the compose file says so.
// The content's digest is part of the spec hash, so changed content means a new container; desire
// has the working tree's digest (what `plan` compares), a deploy the shipped commit's
// (`withShippedFiles`). A secret enters the hash by its path only, never by its content.
import type { ProcessSpec } from '../../config/fleet.ts';
import { LABELS } from '../../model/labels.ts';
import { filesVolume } from '../../model/names.ts';
import type { ContainerBind, ContainerSpec, VolumeSpec } from './desired.ts';
import { specHash } from './hash.ts';

/** The binds of a process's containers, by target. */
export function containerBinds(proc: ProcessSpec): ContainerBind[] {
  return (proc.binds ?? [])
    .map((b): ContainerBind => (b.repo ? { source: b.source, target: b.target, readOnly: b.readOnly, repo: { ...b.repo } } : { ...b }))
    .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

/** The environment's files volume, when any of these processes ships repository content. */
export function filesVolumeOf(project: string, env: string, processes: readonly ProcessSpec[]): VolumeSpec | undefined {
  if (!processes.some((p) => p.binds?.some((b) => b.repo))) return undefined;
  return { name: filesVolume(project, env), labels: { [LABELS.project]: project, [LABELS.env]: env, [LABELS.role]: 'files' } };
}

/** Content a deploy has shipped, by `shipKey`: its digest and its path on the server. */
export type ShippedFiles = ReadonlyMap<string, { digest: string; hostPath: string }>;

/** One shipped copy per source and way of shipping it (a secret and a config of the same file are two copies). */
export function shipKey(b: ContainerBind): string {
  const r = b.repo;
  return JSON.stringify([b.source, r?.secret ?? false, r?.mode ?? null, r?.uid ?? null, r?.gid ?? null]);
}

/**
 * The spec as a deploy creates it: each repository bind with the digest of the content shipped and
 * its path on the server, and the spec hash (and its label) computed again over that digest.
 * Throws when a bind's content was not shipped (a caller's mistake, not a user's).
 */
export function withShippedFiles(spec: ContainerSpec, shipped: ShippedFiles): ContainerSpec {
  if (!spec.binds?.some((b) => b.repo)) return spec;
  const binds = spec.binds.map((b): ContainerBind => {
    if (!b.repo) return b;
    const s = shipped.get(shipKey(b));
    if (!s) throw new Error(`${spec.name}: ${b.source} was not shipped`);
    const repo = { ...b.repo, hostPath: s.hostPath };
    if (!b.repo.secret) repo.digest = s.digest;
    return { ...b, repo };
  });
  const next = { ...spec, binds };
  const hash = specHash(next);
  return { ...next, specHash: hash, labels: { ...spec.labels, [LABELS.specHash]: hash } };
}
