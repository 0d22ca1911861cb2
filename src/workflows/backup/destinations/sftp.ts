// The `sftp` destination: a directory on another host, over SSH (ssh2's SFTP on the same kind of
// session as the servers', host key checked against known_hosts or the pinned key). Objects are
// written to `{key}.part` and renamed into place once complete; a stat hashes the object on the host
// with sha256sum when the account may run commands, and otherwise reads it back and hashes it here.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import type { Destination, ObjectEntry, ObjectStat } from '../../../backup/destination.ts';
import type { DestinationConfig } from '../../../config/backup-policy.ts';
import type { Server } from '../../../config/fleet.ts';
import { sshExec } from '../../../engine/ssh-exec.ts';
import { SshSession, type SshConnectOptions } from '../../../engine/ssh-session.ts';
import { hashStream } from '../streams.ts';

type SftpConfig = Extract<DestinationConfig, { kind: 'sftp' }>;

const NO_SUCH_FILE = 2;
const SAFE_KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/;

const call = <T>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));

export class SftpDestination implements Destination {
  readonly where: string;
  #session: Promise<SshSession> | undefined;
  #sftp: Promise<SFTPWrapper> | undefined;
  #canExec: boolean | undefined;

  constructor(
    readonly name: string,
    private readonly config: SftpConfig,
    private readonly connectOptions: SshConnectOptions = {},
  ) {
    this.where = `sftp ${config.user}@${config.host}:${config.port}${config.path}`;
  }

  #fail(op: string, e: unknown): Error {
    return new Error(`${this.name} (${this.where}): ${op} failed: ${(e as Error).message ?? String(e)}`);
  }

  #path(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').includes('..')) throw new Error(`${this.name}: refusing object key ${JSON.stringify(key)}`);
    return `${this.config.path === '/' ? '' : this.config.path}/${key}`.replace(/\/+$/, '');
  }

  session(): Promise<SshSession> {
    this.#session ??= (() => {
      const server: Server = {
        name: `backup destination ${this.name}`,
        transport: {
          kind: 'ssh',
          user: this.config.user,
          host: this.config.host,
          port: this.config.port,
          hostKey: this.config.hostKey,
          identity: this.config.identity,
        },
        proxy: 'caddy',
        httpPort: 80,
      };
      return SshSession.open(server, this.connectOptions);
    })();
    this.#session.catch(() => {
      this.#session = undefined;
    });
    return this.#session;
  }

  async #client(): Promise<SFTPWrapper> {
    this.#sftp ??= this.session().then((s) => s.sftp());
    this.#sftp.catch(() => {
      this.#sftp = undefined;
    });
    return this.#sftp;
  }

  async #mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
    const parts = dir.split('/').filter(Boolean);
    let p = '';
    for (const part of parts) {
      p += `/${part}`;
      try {
        await call<void>((cb) => sftp.mkdir(p, cb));
      } catch {
        // exists (or not ours to create: the write below says so)
      }
    }
  }

  async put(key: string, body: Readable): Promise<void> {
    const path = this.#path(key);
    const tmp = `${path}.part`;
    try {
      const sftp = await this.#client();
      await this.#mkdirs(sftp, path.slice(0, path.lastIndexOf('/')));
      await pipeline(body, sftp.createWriteStream(tmp, { mode: 0o600 }));
      await call<void>((cb) => sftp.ext_openssh_rename(tmp, path, cb)).catch(async () => {
        await call<void>((cb) => sftp.unlink(path, cb)).catch(() => undefined);
        await call<void>((cb) => sftp.rename(tmp, path, cb));
      });
    } catch (e) {
      body.destroy();
      const sftp = await this.#sftp?.catch(() => undefined);
      if (sftp) await call<void>((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
      throw this.#fail(`writing ${key}`, e);
    }
  }

  async get(key: string): Promise<Readable> {
    const path = this.#path(key);
    try {
      const sftp = await this.#client();
      await call((cb) => sftp.stat(path, cb));
      return sftp.createReadStream(path);
    } catch (e) {
      throw this.#fail(`reading ${key}`, e);
    }
  }

  async list(prefix: string): Promise<ObjectEntry[]> {
    const out: ObjectEntry[] = [];
    const root = this.#path(prefix.replace(/\/+$/, '') || '.');
    const base = this.config.path === '/' ? '' : this.config.path;
    try {
      const sftp = await this.#client();
      const walk = async (dir: string): Promise<void> => {
        let entries: { filename: string; attrs: { size: number; isDirectory(): boolean; isFile(): boolean } }[];
        try {
          entries = await call((cb) => sftp.readdir(dir, cb as never));
        } catch (e) {
          if ((e as { code?: number }).code === NO_SUCH_FILE) return;
          throw e;
        }
        for (const e of entries) {
          const p = `${dir}/${e.filename}`;
          if (e.attrs.isDirectory()) await walk(p);
          else if (e.attrs.isFile()) out.push({ key: p.slice(base.length + 1), size: e.attrs.size });
        }
      };
      await walk(root);
    } catch (e) {
      throw this.#fail(`listing ${prefix}`, e);
    }
    return out.filter((e) => e.key.startsWith(prefix)).sort((a, b) => a.key.localeCompare(b.key));
  }

  async stat(key: string): Promise<ObjectStat | null> {
    const path = this.#path(key);
    try {
      const sftp = await this.#client();
      let size: number;
      try {
        size = (await call<{ size: number }>((cb) => sftp.stat(path, cb as never))).size;
      } catch (e) {
        if ((e as { code?: number }).code === NO_SUCH_FILE) return null;
        throw e;
      }
      if (this.#canExec !== false) {
        const r = await sshExec(await this.session(), ['sha256sum', '--', path]).catch(() => undefined);
        const sum = r?.exitCode === 0 ? /^([0-9a-f]{64})\s/.exec(r.stdout)?.[1] : undefined;
        this.#canExec = sum !== undefined;
        if (sum) return { size, sha256: sum };
      }
      // No shell on the far side: read it back.
      const read = await hashStream(sftp.createReadStream(path));
      return { size: read.size, sha256: read.sha256 };
    } catch (e) {
      throw this.#fail(`checking ${key}`, e);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      const sftp = await this.#client();
      const dirs = new Set<string>();
      for (const k of keys) {
        const p = this.#path(k);
        await call<void>((cb) => sftp.unlink(p, cb)).catch((e: { code?: number }) => {
          if (e.code !== NO_SUCH_FILE) throw e;
        });
        dirs.add(p.slice(0, p.lastIndexOf('/')));
      }
      // Directories left empty, deepest first, never above the destination's own path.
      for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
        let dir = d;
        while (
          dir.length > this.config.path.length &&
          (await call<void>((cb) => sftp.rmdir(dir, cb)).then(
            () => true,
            () => false,
          ))
        )
          dir = dir.slice(0, dir.lastIndexOf('/'));
      }
    } catch (e) {
      throw this.#fail(`deleting ${keys.length} object(s)`, e);
    }
  }

  async close(): Promise<void> {
    const sftp = await this.#sftp?.catch(() => undefined);
    sftp?.end();
    const s = await this.#session?.catch(() => undefined);
    await s?.close();
  }
}
