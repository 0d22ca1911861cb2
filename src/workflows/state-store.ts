// StateStore: Slipway's state on a server (release history, audit log, generated secrets,
// Redis allocations, proxy config, maintenance flags). It lives in a Docker volume
// `{project}-slipway-state` (directory mode 0700, secrets 0600), reached only through the Engine
// API (archive upload/download on a never-started holder container), so the same code works for
// the local engine and over SSH, and nothing lives on an operator's laptop.
import type { DockerEngine } from '../engine/docker-engine.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { packTar, unpackTar, type TarEntry } from '../engine/tar.ts';
import { Secret, requireRedactable } from '../util/secret.ts';
import { ensureStateImage, STATE_IMAGE } from './state-image.ts';
import { LABELS } from '../model/labels.ts';

const MOUNT = '/state';

interface QueuedWrite {
  content: Buffer;
  mode: number;
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

/** Directory entries (mode 0700) for the state root and every parent of these paths, parents first. */
function privateDirs(paths: readonly string[]): TarEntry[] {
  const dirs = new Set<string>([MOUNT.slice(1)]);
  for (const p of paths) {
    const parts = p.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${MOUNT.slice(1)}/${parts.slice(0, i).join('/')}`);
  }
  return [...dirs]
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b))
    .map((path) => ({ path, content: '', mode: 0o700, type: 'dir' as const }));
}

export class StateStore {
  readonly volume: string;
  readonly holder: string;
  /**
   * Who acts, for the audit entries and release records this command writes: a control-plane
   * user (`alice via slipway serve`); unset, the OS user at this host (audit.ts operator()).
   */
  actor?: string;
  #ready: Promise<void> | undefined;
  /** The holder is known to exist (ensured, or an archive call on it succeeded): a 404 now means a missing file. */
  #holderSeen = false;
  /**
   * Files read or written by this command. Each command works under the environment lock (or
   * only reads), so a file cannot change underneath it; every archive round trip saved here is
   * one less Engine API call on the deploy's critical path.
   */
  readonly #cache = new Map<string, Promise<Buffer | undefined>>();
  /** Writes waiting for the next upload, by path (insertion order kept). */
  readonly #queued = new Map<string, QueuedWrite>();
  /** Batches being uploaded. */
  readonly #inFlight = new Set<Map<string, QueuedWrite>>();
  /** Every write not yet settled (for flush). */
  readonly #pending = new Set<Promise<void>>();
  #uploading = false;

  constructor(
    readonly engine: DockerEngine,
    readonly project: string,
  ) {
    this.volume = `${project}-slipway-state`;
    this.holder = `${project}-slipway-state`;
  }

  /** Creates the volume and holder container once (idempotent; concurrent callers share it). */
  ensure(): Promise<void> {
    this.#ready ??= this.#ensure().then(
      () => {
        this.#holderSeen = true;
      },
      (e) => {
        this.#ready = undefined;
        throw e;
      },
    );
    return this.#ready;
  }

  async #ensure(): Promise<void> {
    try {
      await this.engine.inspectContainer(this.holder);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await ensureStateImage(this.engine);
      const labels = { [LABELS.project]: this.project, [LABELS.role]: 'state' };
      if (!(await this.engine.listVolumes({ [LABELS.project]: this.project })).some((v) => v.name === this.volume)) {
        await this.engine.createVolume({ name: this.volume, labels });
      }
      try {
        await this.engine.createContainer({
          name: this.holder,
          image: STATE_IMAGE,
          env: {},
          labels,
          networks: [],
          mounts: [{ volume: this.volume, target: MOUNT }],
          restart: 'no',
          stopTimeoutS: 1,
        });
      } catch (err) {
        if (!(err as { conflict?: boolean }).conflict) throw err;
        // Another command is creating the holder right now. Docker reserves the name before the
        // container is registered, so for a moment the name conflicts yet the container is not
        // found: wait until it is.
        await this.#awaitHolder();
      }
      await this.engine.putArchive(
        this.holder,
        '/',
        await packTar([
          { path: 'state', content: '', mode: 0o700, type: 'dir' },
          { path: 'state/.slipway', content: 'state v1\n', mode: 0o600 },
        ]),
      );
    }
  }

  /** Waits (up to ~2.5 s) for a holder that another command has just created to become visible. */
  async #awaitHolder(): Promise<void> {
    for (let delay = 20; ; delay *= 2) {
      try {
        await this.engine.inspectContainer(this.holder);
        return;
      } catch (e) {
        if (!isNotFound(e) || delay > 2500) throw e;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /**
   * An archive call on the holder without a separate existence check first (one round trip less on
   * every command's first state access): on a 404 the holder is made sure of, then `fn` runs once
   * more. `missing` is what a 404 means once the holder exists (a read of an absent file).
   */
  async #onHolder<T>(fn: () => Promise<T>, missing: () => T): Promise<T> {
    const known = this.#holderSeen;
    try {
      const r = await fn();
      this.#holderSeen = true;
      return r;
    } catch (e) {
      if (!isNotFound(e)) throw e;
      if (known) return missing();
    }
    await this.ensure();
    try {
      return await fn();
    } catch (e) {
      if (isNotFound(e)) return missing();
      throw e;
    }
  }

  /** File content, or undefined when it does not exist. */
  read(path: string): Promise<Buffer | undefined> {
    let p = this.#cache.get(path);
    if (!p) {
      p = this.#fetch(path);
      this.#cache.set(path, p);
      const fetching = p;
      fetching.catch(() => {
        if (this.#cache.get(path) === fetching) this.#cache.delete(path);
      });
    }
    return p;
  }

  /** Drops every cached file (another operator may have written since they were read); writes in flight are kept. */
  forget(): void {
    this.#cache.clear();
    for (const [path, w] of this.#queued) this.#cache.set(path, Promise.resolve(w.content));
    for (const batch of this.#inFlight) for (const [path, w] of batch) this.#cache.set(path, Promise.resolve(w.content));
  }

  /** Starts reading these files now (concurrently), so later reads find them cached. */
  prefetch(paths: readonly string[]): void {
    for (const p of paths) this.read(p).catch(() => undefined);
  }

  #fetch(path: string): Promise<Buffer | undefined> {
    return this.#onHolder(
      async () => (await unpackTar(await this.engine.getArchive(this.holder, `${MOUNT}/${path}`))).find((e) => e.type === 'file')?.content,
      () => undefined,
    );
  }

  /** Every file under a directory of the state (one archive call), path → content. */
  readDir(dir: string): Promise<Map<string, Buffer>> {
    return this.#onHolder(
      async () => {
        const entries = await unpackTar(await this.engine.getArchive(this.holder, `${MOUNT}/${dir}`));
        return new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, e.content]));
      },
      () => new Map<string, Buffer>(),
    );
  }

  /**
   * Writes a file. Writes are batched: those made while an upload is in flight go out together in
   * the next one (one archive call each batch), and each resolves when its batch is on the server.
   * Reads see the new content at once.
   */
  write(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
    const buf = typeof content === 'string' ? Buffer.from(content) : content;
    this.#cache.set(path, Promise.resolve(buf));
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A later write of the same file replaces an earlier one still waiting for its batch.
    const earlier = this.#queued.get(path);
    this.#queued.delete(path);
    this.#queued.set(path, { content: buf, mode, waiters: [...(earlier?.waiters ?? []), { resolve, reject }] });
    this.#pump();
    const tracked = done.finally(() => this.#pending.delete(tracked));
    tracked.catch(() => undefined);
    this.#pending.add(tracked);
    return done;
  }

  /** Resolves when every write made so far has reached the server (or failed: failures are the writers' to handle). */
  async flush(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  #pump(): void {
    if (this.#uploading || this.#queued.size === 0) return;
    this.#uploading = true;
    // Writes made in the same tick share the upload.
    queueMicrotask(() => void this.#upload());
  }

  async #upload(): Promise<void> {
    const batch = new Map(this.#queued);
    this.#queued.clear();
    this.#inFlight.add(batch);
    try {
      const tar = await packTar([
        ...privateDirs([...batch.keys()]),
        ...[...batch].map(([path, w]) => ({ path: `${MOUNT.slice(1)}/${path}`, content: w.content, mode: w.mode })),
      ]);
      await this.#onHolder(
        () => this.engine.putArchive(this.holder, '/', tar),
        () => {
          throw new Error(`state holder ${this.holder} vanished`);
        },
      );
      for (const w of batch.values()) for (const x of w.waiters) x.resolve();
    } catch (e) {
      // Not on the server: the next read asks the server again.
      for (const path of batch.keys()) if (!this.#queued.has(path)) this.#cache.delete(path);
      for (const w of batch.values()) for (const x of w.waiters) x.reject(e);
    } finally {
      this.#inFlight.delete(batch);
      this.#uploading = false;
      this.#pump();
    }
  }

  async readJson<T>(path: string): Promise<T | undefined> {
    const b = await this.read(path);
    return b ? (JSON.parse(b.toString('utf8')) as T) : undefined;
  }

  async writeJson(path: string, value: unknown, mode = 0o600): Promise<void> {
    await this.write(path, `${JSON.stringify(value, null, 2)}\n`, mode);
  }

  /** An environment's own value wins over the server-wide one. */
  async getSecret(name: string, env?: string): Promise<Secret | undefined> {
    const nonEmpty = (x: Buffer | undefined) => (x?.length ? x : undefined);
    const b = (env !== undefined ? nonEmpty(await this.read(secretPath(scoped(name, env)))) : undefined) ?? nonEmpty(await this.read(secretPath(name)));
    return b ? new Secret(b.toString('utf8'), name) : undefined;
  }

  /** Refuses values too short to redact safely; the file on the server is where the value is unwrapped. */
  async setSecret(name: string, value: Secret, env?: string): Promise<void> {
    requireRedactable([Secret.join(name, [value])], { envName: env });
    await this.write(secretPath(env !== undefined ? scoped(name, env) : name), value.reveal(), 0o600);
  }

  async deleteSecret(name: string, env?: string): Promise<boolean> {
    const path = secretPath(env !== undefined ? scoped(name, env) : name);
    // An empty file is a tombstone left by an earlier removal: not set.
    if (!(await this.read(path))?.length) return false;
    // Overwrite with nothing the archive API can remove: write an empty tombstone, then treat
    // empty files as absent.
    await this.write(path, '', 0o600);
    return true;
  }

  async listSecrets(): Promise<string[]> {
    const files = await this.readDir('secrets');
    return [...files]
      .filter(([, content]) => content.length > 0)
      .map(([path]) => decodeURIComponent(path.replace(/^secrets\//, '')))
      .sort();
  }
}

/** Secret names may contain `/` (e.g. `pg/x/db/url`); they are stored as one flat file each. */
function secretPath(name: string): string {
  return `secrets/${encodeURIComponent(name)}`;
}

function scoped(name: string, env: string): string {
  return `env:${env}:${name}`;
}
