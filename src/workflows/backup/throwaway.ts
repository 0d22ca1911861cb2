// Throwaway containers and volumes on an environment's server: where `backup verify` restores a
// backup to prove it (a Postgres of the dump's major version, a Redis), never on the
// environment's networks and never touching its data. Each carries the project's label, role
// `throwaway`, the environment, and who made it (host, pid, since), so that:
// - one run removes everything it made in a `finally` (failure and Ctrl-C included): `ThrowawaySet`;
// - whatever a killed run left is found by the next run and removed (`removeStaleThrowaways`):
//   one made on this host by a process that is gone, or older than a day wherever it was made.
//   A live run's throwaways (another operator's verify) are left alone.
// Observe ignores the role (it keys only app, proxy, service and release-task containers), and a
// backup's own leftover sweep (role `backup`) never removes them.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isNotFound } from '../../engine/engine-errors.ts';
import type { CreateContainerSpec, StreamingRun, StreamingRunOptions } from '../../engine/docker-engine.ts';
import { UserError } from '../../diag/errors.ts';
import { LABELS } from '../../model/labels.ts';
import { isStale } from '../lock.ts';
import type { ServerRun } from '../server-run.ts';

export const THROWAWAY_ROLE = 'throwaway';

/** The restore itself refused the data (pg_restore, Redis's RESTORE): the backup's failure, not the machine's. */
export class RestoreRefusedError extends UserError {
  constructor(message: string) {
    super(message, 'do not rely on this backup: take a new one (slipway backup)');
    this.name = 'RestoreRefusedError';
  }
}
const OWNER = { host: 'slipway.throwaway.host', pid: 'slipway.throwaway.pid', since: 'slipway.throwaway.since', purpose: 'slipway.throwaway.purpose' };
/** A throwaway older than this is a leftover whoever made it. */
const MAX_AGE_MS = 24 * 3600 * 1000;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** What one run makes (containers, volumes), removed together by `removeAll`. */
export class ThrowawaySet {
  readonly #runs = new Set<StreamingRun>();
  readonly #names = new Set<string>();
  readonly #volumes = new Set<string>();
  readonly #labels: Record<string, string>;
  readonly #tag = randomBytes(3).toString('hex');
  #aborted = false;

  constructor(
    private readonly run: ServerRun,
    readonly env: string,
    readonly purpose: string,
  ) {
    this.#labels = {
      [LABELS.project]: run.fleet.project,
      [LABELS.role]: THROWAWAY_ROLE,
      [LABELS.env]: env,
      [OWNER.host]: hostname(),
      [OWNER.pid]: String(process.pid),
      [OWNER.since]: new Date(run.now()).toISOString(),
      [OWNER.purpose]: purpose,
    };
  }

  /** `{project}-slipway-{purpose}-{env}-{what}-{tag}`: unique per run, says what it is in `docker ps`. */
  name(what: string): string {
    return `${this.run.fleet.project}-slipway-${this.purpose}-${this.env}-${what}-${this.#tag}`;
  }

  /** A labelled volume, removed with the set. */
  async volume(what: string): Promise<string> {
    this.#refuseIfAborted();
    const name = this.name(what);
    this.#volumes.add(name);
    await this.run.conn.engine.createVolume({ name, labels: this.#labels });
    if (this.#aborted) {
      await this.removeAll();
      this.#refuseIfAborted();
    }
    return name;
  }

  /** The spec of a throwaway container: no network, no restart, this set's labels. */
  spec(what: string, image: string, entrypoint: string[], cmd: string[], extra: Partial<CreateContainerSpec> = {}): CreateContainerSpec {
    return {
      name: this.name(what),
      image,
      entrypoint,
      cmd,
      env: {},
      labels: this.#labels,
      networks: [],
      mounts: [],
      restart: 'no',
      stopTimeoutS: 1,
      ...extra,
    };
  }

  /** Starts a one-off container with streams (DockerEngine.runStreaming), tracked for removal. */
  async start(spec: CreateContainerSpec, opts?: StreamingRunOptions): Promise<StreamingRun> {
    this.#refuseIfAborted();
    this.#names.add(spec.name);
    const r = await this.run.conn.engine.runStreaming(spec, opts);
    this.#runs.add(r);
    // Killed while its stdin was still being written (Ctrl-C, a mismatch), the attach socket fails
    // with EPIPE after stdout was read to its end: that error is expected and must not crash the
    // process. A reader of stdout still sees its errors (an async iterator listens itself).
    r.stdout.on('error', () => undefined);
    // Aborted while it was being created: it goes at once.
    if (this.#aborted) {
      await this.removeAll();
      this.#refuseIfAborted();
    }
    return r;
  }

  #refuseIfAborted(): void {
    if (this.#aborted) throw new Error(`${this.purpose} interrupted`);
  }

  /** Ctrl-C: nothing new is made, and what exists is removed (also what is still being created when this is called). */
  async abort(): Promise<void> {
    this.#aborted = true;
    await this.removeAll();
  }

  /** Containers and volumes not removed yet. */
  get pending(): number {
    return this.#runs.size + this.#names.size + this.#volumes.size;
  }

  /** Kills what still runs and removes every container and volume of the set (never throws; what could not be removed stays listed for the next call). */
  async removeAll(): Promise<void> {
    const engine = this.run.conn.engine;
    const runs = [...this.#runs];
    await Promise.all(runs.map((r) => r.kill().catch(() => undefined)));
    await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
    for (const r of runs) this.#runs.delete(r);
    for (const n of [...this.#names])
      await engine.removeContainer(n, { force: true, volumes: true }).then(
        () => this.#names.delete(n),
        (e: unknown) => {
          if (isNotFound(e)) this.#names.delete(n);
        },
      );
    for (const v of [...this.#volumes])
      await engine.removeVolume(v).then(
        () => this.#volumes.delete(v),
        (e: unknown) => {
          if (isNotFound(e)) this.#volumes.delete(v);
        },
      );
  }
}

/** Is a throwaway with these labels left over by a run that is gone? */
export function isLeftover(labels: Record<string, string>, now: number, isAlive: (pid: number) => boolean = alive): boolean {
  const since = Date.parse(labels[OWNER.since] ?? '');
  if (!Number.isFinite(since) || now - since > MAX_AGE_MS) return true;
  return isStale({ holder: '', host: labels[OWNER.host] ?? '?', pid: Number(labels[OWNER.pid] ?? 0), command: '', since: labels[OWNER.since] ?? '' }, isAlive);
}

/** Removes the environment's throwaway containers and volumes that a killed run left. */
export async function removeStaleThrowaways(
  run: ServerRun,
  env: string,
  isAlive: (pid: number) => boolean = alive,
): Promise<{ containers: number; volumes: number }> {
  const engine = run.conn.engine;
  const filter = { [LABELS.project]: run.fleet.project, [LABELS.role]: THROWAWAY_ROLE, [LABELS.env]: env };
  let containers = 0;
  let volumes = 0;
  for (const c of await engine.listContainers(filter, { all: true })) {
    if (!isLeftover(c.labels, run.now(), isAlive)) continue;
    await engine.removeContainer(c.id, { force: true, volumes: true }).catch(() => undefined);
    containers++;
  }
  for (const v of await engine.listVolumes(filter)) {
    if (!isLeftover(v.labels, run.now(), isAlive)) continue;
    // A volume still mounted by a live container refuses removal: it is not a leftover then.
    await engine.removeVolume(v.name).then(
      () => volumes++,
      () => undefined,
    );
  }
  return { containers, volumes };
}
