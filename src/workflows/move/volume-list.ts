// What a volume holds, listed by a short-lived helper container that mounts it read-only: every
// entry below the volume's root with its type, size, mtime (seconds), mode and numeric owner, and
// each symlink's target, plus the server's clock when the listing began. The helper's tools may be
// GNU or busybox: only `find -exec {} +`, `stat -c` with numeric fields, `readlink` and `printf`,
// which both have. Names are NUL-separated on the wire, so spaces and newlines in them survive.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { CreateContainerSpec, DockerEngine } from '../../engine/docker-engine.ts';
import { LABELS } from '../../model/labels.ts';

/** One side of a volume copy: the volume on one server, and an image there with sh, find, stat and tar. */
export interface VolumeSide {
  engine: DockerEngine;
  server: string;
  volume: string;
  /** An image present on that server with sh, find, stat, tar (the proxy image); GNU or busybox. */
  helperImage: string;
  project: string;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface VolumeEntry {
  /** Relative to the volume's root, no leading `./`. */
  path: string;
  type: EntryType;
  size: number;
  /** Unix seconds. */
  mtime: number;
  /** Permission bits (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Symlinks only. */
  target?: string;
}

export interface VolumeListing {
  entries: Map<string, VolumeEntry>;
  /** The server's clock (Unix seconds) just before the walk began. */
  clock: number;
}

/** Where helpers mount the volume. */
export const MOUNT = '/v';

// Per batch of names: `B`, the names, `S`, stat's lines for them (no NUL inside), then each
// symlink's `L`, name and target. Names start with `./`, so they never read as a marker.
const LIST = `cd ${MOUNT} || exit 1
printf '%s\\0' "$(date +%s)"
find . -mindepth 1 -exec sh -c '
printf "B\\0"; printf "%s\\0" "$@"; printf "S\\0"
stat -c "%f %s %Y %u %g %n" "$@"; printf "\\0"
for f do if [ -L "$f" ]; then printf "L\\0%s\\0" "$f"; readlink "$f"; printf "\\0"; fi; done
' sh {} +
exit 0`;

/** A one-off helper on `side`'s server running `script` (argv after it as $1…) with the volume mounted. */
export function helperSpec(side: VolumeSide, what: string, script: string, opts: { readOnly: boolean; args?: string[] }): CreateContainerSpec {
  return {
    name: `${side.project}-slipway-move-${what}-${randomBytes(4).toString('hex')}`,
    image: side.helperImage,
    entrypoint: ['/bin/sh', '-c', script, 'sh'],
    cmd: opts.args ?? [],
    env: {},
    labels: { [LABELS.project]: side.project, [LABELS.role]: 'move' },
    networks: [],
    mounts: [{ volume: side.volume, target: MOUNT, readOnly: opts.readOnly }],
    restart: 'no',
    stopTimeoutS: 1,
    user: '0:0',
  };
}

/** Runs a helper to completion, feeding it `stdin`, and returns its stdout; throws on a non-zero exit. */
export async function runHelper(side: VolumeSide, spec: CreateContainerSpec, what: string, stdin?: Buffer): Promise<Buffer> {
  const r = await side.engine.runStreaming(spec, stdin ? { stdin: Readable.from([stdin]) } : {});
  const out: Buffer[] = [];
  try {
    for await (const c of r.stdout as AsyncIterable<Buffer>) out.push(c);
  } catch (e) {
    await r.kill();
    await r.done.catch(() => undefined);
    throw e;
  }
  const done = await r.done;
  if (done.exitCode !== 0)
    throw new Error(`${side.server}: ${what} of volume ${side.volume} failed (exit ${done.exitCode}): ${done.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return Buffer.concat(out);
}

function typeOf(rawMode: number): EntryType {
  switch (rawMode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    default:
      return 'other';
  }
}

const STAT_LINE = /([0-9a-f]+) (\d+) (-?\d+) (\d+) (\d+) /y;

const rel = (name: string) => name.replace(/^\.\//, '');

/** Parses the helper's output (see LIST). An entry stat could not read (it vanished) is left out. */
export function parseListing(out: Buffer): VolumeListing {
  const tokens = out.toString('utf8').split('\0');
  const clock = Number(tokens[0]);
  if (!Number.isFinite(clock)) throw new Error(`unreadable volume listing: ${JSON.stringify(out.subarray(0, 80).toString('utf8'))}`);
  const entries = new Map<string, VolumeEntry>();
  let i = 1;
  while (i < tokens.length) {
    const t = tokens[i++];
    if (t === 'B') {
      const names: string[] = [];
      while (i < tokens.length && tokens[i] !== 'S') names.push(tokens[i++]!);
      i++;
      const blob = tokens[i++] ?? '';
      let at = 0;
      for (const name of names) {
        STAT_LINE.lastIndex = at;
        const m = STAT_LINE.exec(blob);
        const end = m ? at + m[0].length + name.length : -1;
        if (!m || blob.slice(at + m[0].length, end) !== name || blob[end] !== '\n') continue;
        at = end + 1;
        const raw = Number.parseInt(m[1]!, 16);
        const path = rel(name);
        entries.set(path, { path, type: typeOf(raw), size: Number(m[2]), mtime: Number(m[3]), mode: raw & 0o7777, uid: Number(m[4]), gid: Number(m[5]) });
      }
    } else if (t === 'L') {
      const e = entries.get(rel(tokens[i] ?? ''));
      const target = (tokens[i + 1] ?? '').replace(/\n$/, '');
      if (e?.type === 'symlink') e.target = target;
      i += 2;
    }
  }
  return { entries, clock };
}

/** Lists the volume on its server (a helper mounting it read-only). */
export async function listVolume(side: VolumeSide): Promise<VolumeListing> {
  return parseListing(await runHelper(side, helperSpec(side, 'list', LIST, { readOnly: true }), 'listing'));
}
