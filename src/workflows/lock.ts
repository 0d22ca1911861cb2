// Per-environment lock, held on the server: a never-started container named
// `{project}-lock-{env}`. Docker creates a container name atomically, so exactly one of two
// concurrent deploys gets it; its labels say who holds it, for what and since when.
import { hostname, userInfo } from 'node:os';
import type { DockerEngine } from '../engine/docker-engine.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { ensureStateImage, STATE_IMAGE } from './state-image.ts';
import { LABELS } from '../model/labels.ts';

export interface LockHolder {
  holder: string;
  host: string;
  pid: number;
  command: string;
  since: string;
}

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  readonly hint: string;
  constructor(
    readonly env: string,
    readonly server: string,
    readonly holder: LockHolder,
  ) {
    super(
      `environment ${env} on ${server} is locked by ${holder.holder} (pid ${holder.pid} on ${holder.host}) running "${holder.command}" since ${holder.since}`,
    );
    this.hint = `wait for it to finish, retry with --lock-wait SECONDS, or if you are sure it is gone: slipway lock release ${env}`;
  }
}

export interface LockOptions {
  command: string;
  /** Seconds to keep retrying while another operator holds the lock. */
  waitS?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Is this process (on this host) still alive? Injected for tests. */
  isAlive?: (pid: number) => boolean;
  onNote?: (msg: string) => void;
  /** Called each time the lock is found held by someone alive (before waiting). */
  onContended?: () => void;
}

export const lockName = (project: string, env: string): string => `${project}-lock-${env}`;

export function currentHolder(command: string, now: () => number): LockHolder {
  return { holder: `${userInfo().username}@${hostname()}`, host: hostname(), pid: process.pid, command, since: new Date(now()).toISOString() };
}

export async function readLock(engine: DockerEngine, project: string, env: string): Promise<LockHolder | undefined> {
  return (await readLockBox(engine, project, env))?.holder;
}

/** The lock container's id with its holder: a takeover removes exactly the lock it judged stale. */
async function readLockBox(engine: DockerEngine, project: string, env: string): Promise<{ id: string; holder: LockHolder } | undefined> {
  try {
    const info = await engine.inspectContainer(lockName(project, env));
    const l = info.labels;
    return {
      id: info.id,
      holder: {
        holder: l['slipway.lock.holder'] ?? '?',
        host: l['slipway.lock.host'] ?? '?',
        pid: Number(l['slipway.lock.pid'] ?? 0),
        command: l['slipway.lock.command'] ?? '?',
        since: l['slipway.lock.since'] ?? '?',
      },
    };
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** A lock is provably stale when its holder ran on this host and that process is gone. */
export function isStale(h: LockHolder, isAlive: (pid: number) => boolean): boolean {
  return h.host === hostname() && h.pid > 0 && !isAlive(h.pid);
}

export class EnvLock {
  #heldId: string | undefined;

  constructor(
    readonly engine: DockerEngine,
    readonly project: string,
    readonly env: string,
  ) {}

  async acquire(opts: LockOptions): Promise<LockHolder> {
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
    const isAlive = opts.isAlive ?? pidAlive;
    const deadline = now() + (opts.waitS ?? 0) * 1000;
    for (;;) {
      const me = currentHolder(opts.command, now);
      if (await this.#tryCreate(me)) return me;
      const box = await readLockBox(this.engine, this.project, this.env);
      if (!box) continue; // released between our attempt and the read
      const held = box.holder;
      if (isStale(held, isAlive)) {
        opts.onNote?.(`lock on ${this.env} was left by pid ${held.pid} ("${held.command}", since ${held.since}), which is no longer running: taking it over`);
        // By id, not by name: if another process took it over first, its fresh lock stays.
        await this.#remove(box.id);
        continue;
      }
      opts.onContended?.();
      if (now() >= deadline) throw new LockHeldError(this.env, this.engine.serverName, held);
      await sleep(500);
    }
  }

  /** Releases the lock this object acquired (never a successor's), or whatever lock ENV has when it acquired none (`slipway lock release`). */
  async release(): Promise<void> {
    await this.#remove(this.#heldId ?? lockName(this.project, this.env));
    this.#heldId = undefined;
  }

  async #remove(idOrName: string): Promise<void> {
    try {
      await this.engine.removeContainer(idOrName, { force: true });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Creates the lock container; the state image is built only when the engine says it is missing (one round trip less on every lock). */
  async #tryCreate(me: LockHolder): Promise<boolean> {
    try {
      return await this.#create(me);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await ensureStateImage(this.engine);
    return this.#create(me);
  }

  async #create(me: LockHolder): Promise<boolean> {
    try {
      this.#heldId = await this.engine.createContainer({
        name: lockName(this.project, this.env),
        image: STATE_IMAGE,
        env: {},
        labels: {
          [LABELS.project]: this.project,
          [LABELS.env]: this.env,
          [LABELS.role]: 'lock',
          'slipway.lock.holder': me.holder,
          'slipway.lock.host': me.host,
          'slipway.lock.pid': String(me.pid),
          'slipway.lock.command': me.command,
          'slipway.lock.since': me.since,
        },
        networks: [],
        mounts: [],
        restart: 'no',
        stopTimeoutS: 1,
      });
      return true;
    } catch (e) {
      if ((e as { conflict?: boolean }).conflict) return false;
      throw e;
    }
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
