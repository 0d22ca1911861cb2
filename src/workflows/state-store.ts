// StateStore: Slipway's state on a server (release history, audit log, generated secrets,
// Redis allocations, proxy config, maintenance flags). It lives in a Docker volume
// `{project}-slipway-state` (directory mode 0700, secrets 0600), reached only through the Engine
// API (archive upload/download on a never-started holder container), so the same code works for
// the local engine and over SSH, and nothing lives on an operator's laptop.
import type { DockerEngine } from '../engine/docker-engine.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { packTar, unpackTar } from '../engine/tar.ts';
import { Secret } from '../util/secret.ts';
import { ensureStateImage, STATE_IMAGE } from './state-image.ts';
import { LABELS } from '../model/labels.ts';

const MOUNT = '/state';

export class StateStore {
  readonly volume: string;
  readonly holder: string;
  #ready: Promise<void> | undefined;
  /**
   * Files read or written by this command. Each command works under the environment lock (or
   * only reads), so a file cannot change underneath it; every archive round trip saved here is
   * one less Engine API call on the deploy's critical path.
   */
  readonly #cache = new Map<string, Promise<Buffer | undefined>>();

  constructor(
    readonly engine: DockerEngine,
    readonly project: string,
  ) {
    this.volume = `${project}-slipway-state`;
    this.holder = `${project}-slipway-state`;
  }

  /** Creates the volume and holder container once (idempotent; concurrent callers share it). */
  ensure(): Promise<void> {
    this.#ready ??= this.#ensure().catch((e) => {
      this.#ready = undefined;
      throw e;
    });
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
      }
      await this.engine.putArchive(
        this.holder,
        '/',
        packTar([
          { path: 'state', content: '', mode: 0o700, type: 'dir' },
          { path: 'state/.slipway', content: 'state v1\n', mode: 0o600 },
        ]),
      );
    }
  }

  /** File content, or undefined when it does not exist. */
  read(path: string): Promise<Buffer | undefined> {
    let p = this.#cache.get(path);
    if (!p) {
      p = this.#fetch(path);
      this.#cache.set(path, p);
      p.catch(() => this.#cache.delete(path));
    }
    return p;
  }

  /** Drops every cached file (another operator may have written since they were read). */
  forget(): void {
    this.#cache.clear();
  }

  /** Starts reading these files now (concurrently), so later reads find them cached. */
  prefetch(paths: readonly string[]): void {
    for (const p of paths) this.read(p).catch(() => undefined);
  }

  async #fetch(path: string): Promise<Buffer | undefined> {
    await this.ensure();
    try {
      return unpackTar(await this.engine.getArchive(this.holder, `${MOUNT}/${path}`)).find((e) => e.type === 'file')?.content;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Every file under a directory of the state (one archive call), path → content. */
  async readDir(dir: string): Promise<Map<string, Buffer>> {
    await this.ensure();
    try {
      const entries = unpackTar(await this.engine.getArchive(this.holder, `${MOUNT}/${dir}`));
      return new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, e.content]));
    } catch (e) {
      if (isNotFound(e)) return new Map();
      throw e;
    }
  }

  async write(path: string, content: string | Buffer, mode = 0o600): Promise<void> {
    await this.ensure();
    const parts = path.split('/');
    const name = parts.pop()!;
    const dir = [MOUNT.slice(1), ...parts].join('/');
    // Parent directories are created by the archive itself; keep them private.
    const dirs = ['', ...parts.map((_, i) => `/${parts.slice(0, i + 1).join('/')}`)].map((d) => ({
      path: `${MOUNT.slice(1)}${d}`,
      content: '',
      mode: 0o700,
      type: 'dir' as const,
    }));
    await this.engine.putArchive(this.holder, '/', packTar([...dirs, { path: `${dir}/${name}`, content, mode }]));
    this.#cache.set(path, Promise.resolve(typeof content === 'string' ? Buffer.from(content) : content));
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

  async setSecret(name: string, value: string, env?: string): Promise<void> {
    await this.write(secretPath(env !== undefined ? scoped(name, env) : name), value, 0o600);
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
