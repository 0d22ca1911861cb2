// The control plane's own embedded store: one JSON document per name (`users`, `sessions`,
// `tokens`, later webhook deliveries and schedule state) in a data directory.
//
// Why files and not SQLite: Node 20 has no node:sqlite, and the native SQLite modules need a C
// toolchain or a prebuilt binary downloaded at install time, which a small self-hosted control
// plane should not depend on. The data is small (a handful of users, sessions and tokens), so
// whole-document JSON is fast enough and easy to inspect.
//
// Every write is atomic: a temp file in the same directory is written, fsynced and renamed over
// the document, then the directory is fsynced; a reader sees the old or the new document, never a
// torn one. Writers to one document queue up in process (`update` is read-modify-write under that
// queue), so two concurrent updates never lose either one. One FileStore per data directory per
// process: the queue does not reach across processes. Files are created 0600, the directory 0700.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../diag/errors.ts';

const DOC_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface FileStoreOptions {
  /**
   * fsync each document and the directory after a write (default true). Writes stay atomic
   * without it, but a power loss may lose the newest ones; in-process tests turn it off for speed.
   */
  fsync?: boolean;
}

export class FileStore {
  readonly #queues = new Map<string, Promise<unknown>>();
  #ready: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly opts: FileStoreOptions = {},
  ) {}

  /** The document `name`, or `undefined` when it was never written. */
  async read<T>(name: string): Promise<T | undefined> {
    const path = this.#path(name);
    await this.#init();
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new UserError(`the control plane's document ${path} is not valid JSON`, 'restore it from a backup, or remove it to start that document afresh');
    }
  }

  /** Replaces the document `name` with `value` (queued behind other writers of `name`). */
  write<T>(name: string, value: T): Promise<T> {
    return this.update<T>(name, () => value);
  }

  /**
   * Read-modify-write of `name`: `fn` gets the current document (or `undefined`) and returns the
   * new one, which is written atomically before the next queued writer of `name` reads.
   */
  update<T>(name: string, fn: (current: T | undefined) => T | Promise<T>): Promise<T> {
    const path = this.#path(name);
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const run = previous.then(async () => {
      const next = await fn(await this.read<T>(name));
      await this.#writeAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
      return next;
    });
    // The queue continues after a failed writer; the failure goes to that writer's caller only.
    const tail = run.catch(() => undefined);
    this.#queues.set(name, tail);
    void tail.then(() => {
      if (this.#queues.get(name) === tail) this.#queues.delete(name);
    });
    return run;
  }

  #path(name: string): string {
    if (!DOC_NAME.test(name)) throw new Error(`invalid document name ${JSON.stringify(name)}`);
    return join(this.dir, `${name}.json`);
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await chmod(this.dir, 0o700);
    })();
    return this.#ready;
  }

  async #writeAtomic(path: string, text: string): Promise<void> {
    await this.#init();
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(text, 'utf8');
      if (this.opts.fsync !== false) await fh.sync();
    } catch (e) {
      await fh.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await fh.close();
    try {
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    if (this.opts.fsync === false) return;
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
