// The `local` destination: a Docker volume on the environment's own server,
// `{project}-slipway-backups`, reached only through the Engine API (so the same code works for the
// local engine and over SSH). Each operation is a short-lived helper container of an image already
// on the server (the proxy's) with the volume mounted at /backups: `cat` streams an object in or
// out, `sha256sum` and `stat` hash and size it where it lies, `find` lists. Keys and paths go in
// as argv ("$1"…), never spliced into the shell text.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Destination, ObjectEntry, ObjectStat } from '../../../backup/destination.ts';
import type { CreateContainerSpec, DockerEngine } from '../../../engine/docker-engine.ts';
import { LABELS } from '../../../model/labels.ts';

const MOUNT = '/backups';
/** Keys are ours (layout.ts); refuse anything that could leave the volume. */
const SAFE_KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?$/;

export interface LocalDestinationOptions {
  engine: DockerEngine;
  project: string;
  /** An image present on the server with sh, cat, mv, find, stat and sha256sum (the proxy's). */
  helperImage: string;
  /** Destination name in the fleet file (default `local`). */
  name?: string;
  /** The environment whose backup this is: its helper containers carry its label (leftovers of a killed run are found by it). */
  env?: string;
}

export function backupVolume(project: string): string {
  return `${project}-slipway-backups`;
}

export class LocalDestination implements Destination {
  readonly name: string;
  readonly where: string;
  readonly #volume: string;
  #ensured: Promise<void> | undefined;

  constructor(private readonly opts: LocalDestinationOptions) {
    this.name = opts.name ?? 'local';
    this.#volume = backupVolume(opts.project);
    this.where = `volume ${this.#volume} on ${opts.engine.serverName}`;
  }

  #path(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').includes('..')) throw new Error(`${this.name}: refusing object key ${JSON.stringify(key)}`);
    return `${MOUNT}/${key}`;
  }

  #ensure(): Promise<void> {
    this.#ensured ??= (async () => {
      const labels = { [LABELS.project]: this.opts.project, [LABELS.role]: 'state' };
      const have = await this.opts.engine.listVolumes({ [LABELS.project]: this.opts.project });
      if (!have.some((v) => v.name === this.#volume)) await this.opts.engine.createVolume({ name: this.#volume, labels });
    })().catch((e) => {
      this.#ensured = undefined;
      throw e;
    });
    return this.#ensured;
  }

  #spec(script: string, args: string[]): CreateContainerSpec {
    return {
      name: `${this.opts.project}-slipway-backup-io-${randomBytes(4).toString('hex')}`,
      image: this.opts.helperImage,
      entrypoint: ['/bin/sh', '-c', script, 'sh'],
      cmd: args,
      env: {},
      labels: { [LABELS.project]: this.opts.project, [LABELS.role]: 'backup', ...(this.opts.env ? { [LABELS.env]: this.opts.env } : {}) },
      networks: [],
      mounts: [{ volume: this.#volume, target: MOUNT }],
      restart: 'no',
      stopTimeoutS: 1,
      user: '0:0',
    };
  }

  /** Runs a helper to completion; its stdout as text. */
  async #run(op: string, script: string, args: string[], stdin?: Readable): Promise<string> {
    await this.#ensure();
    const run = await this.opts.engine.runStreaming(this.#spec(script, args), stdin ? { stdin } : {});
    const chunks: Buffer[] = [];
    for await (const c of run.stdout as AsyncIterable<Buffer>) chunks.push(c);
    const { exitCode, stderr } = await run.done;
    if (exitCode !== 0) throw new Error(`${this.name} (${this.where}): ${op} failed (exit ${exitCode}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`);
    return Buffer.concat(chunks).toString('utf8');
  }

  async put(key: string, body: Readable): Promise<void> {
    const path = this.#path(key);
    // Renamed into place only once the whole stream was sent: a writer killed mid-way leaves a
    // `.part` (its stdin just closes, which `cat` cannot tell from the end), never the object.
    let ended = false;
    body.once('end', () => {
      ended = true;
    });
    await this.#run(`writing ${key}`, 'set -e; mkdir -p "$(dirname "$1")"; cat > "$1.part"', [path], body);
    if (!ended) throw new Error(`${this.name} (${this.where}): writing ${key} stopped before its end`);
    await this.#run(`writing ${key}`, 'mv -f "$1.part" "$1"', [path]);
  }

  async get(key: string): Promise<Readable> {
    await this.#ensure();
    const path = this.#path(key);
    const run = await this.opts.engine.runStreaming(this.#spec('exec cat -- "$1"', [path]));
    run.done.then(
      ({ exitCode, stderr }) => {
        if (exitCode !== 0) run.stdout.destroy(new Error(`${this.name} (${this.where}): reading ${key} failed: ${stderr.trim()}`));
      },
      (e) => run.stdout.destroy(e as Error),
    );
    // A reader that stops early (a wrong key, a mismatch, Ctrl-C): `cat` would wait on a full pipe forever.
    run.stdout.once('close', () => {
      if (!run.stdout.readableEnded) void run.kill();
    });
    return run.stdout;
  }

  async list(prefix: string): Promise<ObjectEntry[]> {
    const dir = this.#path(prefix.replace(/\/+$/, '') || '.');
    const out = await this.#run(`listing ${prefix}`, '[ -d "$1" ] || exit 0; find "$1" -type f -exec stat -c "%s %n" {} +', [dir]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const sp = line.indexOf(' ');
        return { key: line.slice(sp + 1).slice(MOUNT.length + 1), size: Number(line.slice(0, sp)) };
      })
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async stat(key: string): Promise<ObjectStat | null> {
    const out = await this.#run(`checking ${key}`, '[ -f "$1" ] || { echo missing; exit 0; }; stat -c %s "$1"; sha256sum "$1"', [this.#path(key)]);
    const [size, sum] = out.trim().split('\n');
    if (size === 'missing' || !sum) return null;
    return { size: Number(size), sha256: sum.split(/\s+/)[0]! };
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const paths = keys.map((k) => this.#path(k));
    // Then the directories left empty, up to the volume's root.
    await this.#run(
      `deleting ${keys.length} object(s)`,
      'rm -f -- "$@"; for p in "$@"; do d=$(dirname "$p"); while [ "$d" != /backups ] && rmdir "$d" 2>/dev/null; do d=$(dirname "$d"); done; done; exit 0',
      paths,
    );
  }

  async close(): Promise<void> {}
}
