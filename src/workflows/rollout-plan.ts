// What a rollout does with each process slot (process + replica) of an app in an environment,
// decided from the desired specs and one container listing, in the order it does it:
// - carry: a running container whose spec hash and image still match keeps running, untouched,
//   as part of the new release (also every process a targeted deploy does not name);
// - start: a new container (or this release's kept, stopped one: instant rollback), start-first,
//   or stop-first for a singleton or a stateful process: its running containers are stopped before
//   the new one is created, so two never run on one volume;
// - task: a one-off task runs to completion (once per deploy);
// - skip: nothing (a task on rollback, a process a targeted deploy leaves out that is not running).
// Order: compose `depends_on` first (a process after those it waits for), then stop-first
// processes, tasks, web processes, workers, singletons.
import type { ContainerSummary } from '../engine/docker-engine.ts';
import type { ContainerSpec } from '../plan/desire/desired.ts';
import { LABELS } from '../model/labels.ts';

export interface SlotStep {
  kind: 'carry' | 'start' | 'task' | 'skip';
  spec: ContainerSpec;
  /** The slot's running container (newest first when an interrupted run left two): carried, or replaced. */
  current?: ContainerSummary;
  /** Start: replace stop-first (singleton, stateful). */
  stopFirst: boolean;
  /** Stop-first: the running containers of the process that stop before this one starts. */
  replaces: ContainerSummary[];
  /** Start: id of this release's stopped container for the slot, started again instead of a new one. */
  reuse?: string;
  /** Set by the rollout once it started the slot's container. */
  started?: string;
}

export interface RolloutPlan {
  steps: SlotStep[];
  /** Slot (`process/replica`) → release of the container carried into the new release. */
  carried: Record<string, string>;
  /** Ids of running containers that stay as they are (carried). */
  kept: string[];
  /** Containers of this release that are neither carried nor reused (an interrupted attempt): removed first. */
  leftovers: ContainerSummary[];
  /** One line each: what is carried, what a targeted deploy leaves out. */
  notes: string[];
}

export interface RolloutInput {
  specs: readonly ContainerSpec[];
  before: readonly ContainerSummary[];
  release: string;
  /** The image a spec runs in this release. */
  imageOf: (spec: ContainerSpec) => string;
  /** The id of an image reference on the engine (undefined when absent). */
  imageId: (ref: string) => Promise<string | undefined>;
  processes?: readonly string[];
  runTasks: boolean;
}

export const slotOf = (labels: Record<string, string>): string => `${labels[LABELS.process] ?? ''}/${labels[LABELS.replica] ?? '0'}`;
const slotOfSpec = (s: ContainerSpec): string => `${s.process ?? ''}/${s.replica}`;
const releaseOf = (c: ContainerSummary): string => c.labels[LABELS.release] ?? '';

export async function planRollout(input: RolloutInput): Promise<RolloutPlan> {
  const { specs, before, release } = input;
  const targets = input.processes ? new Set(input.processes) : undefined;
  const bySlot = new Map<string, ContainerSummary[]>();
  for (const c of before) bySlot.set(slotOf(c.labels), [...(bySlot.get(slotOf(c.labels)) ?? []), c]);
  const newestFirst = (a: ContainerSummary, b: ContainerSummary) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0);
  const runningOf = (process: string | undefined) => before.filter((c) => c.state === 'running' && c.labels[LABELS.process] === process);
  // A task runs when the deploy is not targeted, or it is named, or a named process waits for it.
  const taskWanted = (spec: ContainerSpec) =>
    !targets || targets.has(spec.process ?? '') || specs.some((s) => targets.has(s.process ?? '') && s.waitsFor?.some((d) => d.process === spec.process));

  const steps: SlotStep[] = [];
  const carriedNames: string[] = [];
  const leftOut = new Set<string>();
  for (const spec of specs) {
    const slot = slotOfSpec(spec);
    const current = (bySlot.get(slot) ?? []).filter((c) => c.state === 'running').sort(newestFirst)[0];
    const step: SlotStep = { kind: 'start', spec, stopFirst: false, replaces: [], ...(current ? { current } : {}) };
    if (spec.task) {
      step.kind = input.runTasks && taskWanted(spec) ? 'task' : 'skip';
    } else if (targets && !targets.has(spec.process ?? '')) {
      step.kind = current ? 'carry' : 'skip';
      if (!current) leftOut.add(spec.process ?? '');
    } else if (current && (await unchanged(current, spec, input))) {
      step.kind = 'carry';
      carriedNames.push(spec.process ?? '');
    } else {
      step.stopFirst = spec.singleton || spec.stateful !== undefined;
      if (step.stopFirst) step.replaces = runningOf(spec.process);
      const reuse = before.find(
        (c) => releaseOf(c) === release && slotOf(c.labels) === slot && c.state !== 'running' && c.labels[LABELS.specHash] === spec.specHash,
      );
      if (reuse) step.reuse = reuse.id;
    }
    steps.push(step);
  }
  const carry = steps.filter((s) => s.kind === 'carry' && s.current);
  const kept = new Set(carry.map((s) => s.current!.id));
  const reused = new Set(steps.flatMap((s) => (s.reuse ? [s.reuse] : [])));
  const leftovers = before.filter((c) => releaseOf(c) === release && !kept.has(c.id) && !reused.has(c.id));
  const gone = new Set(leftovers.map((c) => c.id));
  for (const s of steps) s.replaces = s.replaces.filter((c) => !gone.has(c.id) && !kept.has(c.id));
  const notes: string[] = [];
  const uniq = (xs: string[]) => [...new Set(xs)].sort();
  if (carriedNames.length > 0) notes.push(`unchanged, kept running: ${uniq(carriedNames).join(', ')}`);
  if (targets) {
    const others = uniq(steps.filter((s) => s.kind === 'carry' && !targets.has(s.spec.process ?? '')).map((s) => s.spec.process ?? ''));
    if (others.length > 0) notes.push(`not named, kept as they are: ${others.join(', ')}`);
    if (leftOut.size > 0) notes.push(`not named and not running, left out: ${uniq([...leftOut]).join(', ')}`);
  }
  return {
    steps: ordered(steps),
    carried: Object.fromEntries(carry.map((s) => [slotOfSpec(s.spec), releaseOf(s.current!)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    kept: [...kept],
    leftovers,
    notes,
  };
}

/** A running container still is what the spec asks for: same spec hash, same image reference, same image id. */
async function unchanged(c: ContainerSummary, spec: ContainerSpec, input: RolloutInput): Promise<boolean> {
  if (c.labels[LABELS.specHash] !== spec.specHash) return false;
  const ref = input.imageOf(spec);
  if (c.image !== ref) return false;
  const id = await input.imageId(ref);
  return id === undefined || !c.imageId || c.imageId === id;
}

/** Lower runs first, dependencies permitting. */
function rank(s: SlotStep): number {
  if (s.kind === 'carry' || s.kind === 'skip') return 0;
  if (s.kind === 'start' && s.stopFirst && !s.spec.singleton) return 1; // stateful
  if (s.kind === 'task') return 2;
  if (s.spec.singleton) return 5;
  return s.spec.port !== undefined ? 3 : 4;
}

/** Processes in dependency order (Kahn), ties by rank then name; replicas in order; a cycle keeps rank order. */
function ordered(steps: SlotStep[]): SlotStep[] {
  const procs = new Map<string, SlotStep[]>();
  for (const s of steps) procs.set(s.spec.process ?? '', [...(procs.get(s.spec.process ?? '') ?? []), s]);
  for (const list of procs.values()) list.sort((a, b) => a.spec.replica - b.spec.replica);
  const rankOf = (p: string) => Math.max(...procs.get(p)!.map(rank));
  const deps = new Map<string, Set<string>>();
  for (const [p, list] of procs) deps.set(p, new Set((list[0]!.spec.waitsFor ?? []).map((d) => d.process).filter((d) => d !== p && procs.has(d))));
  const out: SlotStep[] = [];
  const done = new Set<string>();
  const byRank = (a: string, b: string) => rankOf(a) - rankOf(b) || (a < b ? -1 : a > b ? 1 : 0);
  while (done.size < procs.size) {
    const pending = [...procs.keys()].filter((p) => !done.has(p)).sort(byRank);
    const next = pending.find((p) => [...deps.get(p)!].every((d) => done.has(d))) ?? pending[0]!;
    done.add(next);
    out.push(...procs.get(next)!);
  }
  return out;
}
