// An app volume restored for real, while no container mounts it (the caller stopped them): the
// backup's tar is streamed into a staging directory inside the volume itself
// (`.slipway-restore-{hex}`, same filesystem), every file there is hashed and compared with the
// manifest, and only then is the volume's old content removed and the staged files moved into
// place (renames, no copy). A failure before that leaves the volume's content as it was. Helpers
// are one-off containers of an image already on the server (the proxy's: sh, GNU tar, find,
// sha256sum); names go in as argv, never into the shell text.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ManifestObject } from '../../backup/manifest.ts';
import type { CreateContainerSpec } from '../../engine/docker-engine.ts';
import { LABELS } from '../../model/labels.ts';
import type { ServerRun } from '../server-run.ts';
import { helperImage } from './destinations/open.ts';
import { startProgress } from './progress.ts';
import type { BackupSource } from './restore-read.ts';

const STAGE_PREFIX = '.slipway-restore-';

const EXTRACT = `set -e
S="/data/$1"
rm -rf "$S"
mkdir -p "$S/data"
tar -x -f - -C "$S" --numeric-owner
cd "$S/data"
find . -type f -print0 | xargs -0 -r sha256sum -z`;

const SWAP = `set -e
S="/data/$1"
find /data -mindepth 1 -maxdepth 1 ! -name "$1" -exec rm -rf {} +
find "$S/data" -mindepth 1 -maxdepth 1 -exec mv -t /data {} +
chown "$(stat -c %u:%g "$S/data")" /data
chmod "$(stat -c %a "$S/data")" /data
rm -rf "$S"`;

const CLEAN = `for d in /data/${STAGE_PREFIX}*; do [ -e "$d" ] && rm -rf "$d"; done; exit 0`;

function spec(run: ServerRun, env: string, volume: string, script: string, args: string[]): CreateContainerSpec {
  return {
    name: `${run.fleet.project}-slipway-restore-vol-${randomBytes(4).toString('hex')}`,
    image: helperImage(run),
    entrypoint: ['/bin/sh', '-c', script, 'sh'],
    cmd: args,
    env: {},
    labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'backup', [LABELS.env]: env },
    networks: [],
    mounts: [{ volume, target: '/data' }],
    restart: 'no',
    stopTimeoutS: 1,
    user: '0:0',
  };
}

async function runHelper(run: ServerRun, s: CreateContainerSpec, what: string, stdin?: Readable): Promise<Buffer> {
  const r = await run.conn.engine.runStreaming(s, stdin ? { stdin } : {});
  const out: Buffer[] = [];
  for await (const c of r.stdout as AsyncIterable<Buffer>) out.push(c);
  const done = await r.done;
  if (done.exitCode !== 0) throw new Error(`${what} failed (exit ${done.exitCode}): ${done.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  return Buffer.concat(out);
}

export interface StagedVolume {
  volume: string;
  stage: string;
  files: number;
}

/** Removes what a killed restore left in the volume. */
export async function cleanVolumeStages(run: ServerRun, env: string, volume: string): Promise<void> {
  await runHelper(run, spec(run, env, volume, CLEAN, []), `cleaning ${volume}`);
}

/** Extracts the backup's tar into a staging directory of `volume` and checks every file against the manifest. */
export async function stageVolume(run: ServerRun, src: BackupSource, obj: ManifestObject, env: string, volume: string): Promise<StagedVolume> {
  const stage = `${STAGE_PREFIX}${randomBytes(4).toString('hex')}`;
  const progress = startProgress(run.report, `volume ${volume}`, run.now, obj.plainSize);
  try {
    const read = await src.open(obj, (n) => progress.update(n));
    const out = await runHelper(run, spec(run, env, volume, EXTRACT, [stage]), `extracting into ${volume}`, read.stream);
    await read.check();
    const got = new Map<string, string>();
    for (const entry of out.toString('utf8').split('\0')) {
      if (!entry) continue;
      const m = /^([0-9a-f]{64}) {2}\.\/(.*)$/s.exec(entry);
      if (m) got.set(m[2]!, m[1]!);
    }
    const want = obj.volume!.files;
    const bad: string[] = [];
    for (const f of want) {
      const h = got.get(f.path);
      if (h === undefined) bad.push(`${f.path}: missing`);
      else if (h !== f.sha256) bad.push(`${f.path}: content differs`);
      got.delete(f.path);
    }
    for (const p of got.keys()) bad.push(`${p}: not in the manifest`);
    if (bad.length) throw new Error(`the files restored into ${volume} do not match the backup's manifest: ${bad.slice(0, 5).join('; ')}`);
    return { volume, stage, files: want.length };
  } catch (e) {
    await runHelper(run, spec(run, env, volume, CLEAN, []), `cleaning ${volume}`).catch(() => undefined);
    throw e;
  } finally {
    progress.stop();
  }
}

/** Replaces the volume's content by the staged files. */
export async function swapVolume(run: ServerRun, env: string, s: StagedVolume): Promise<void> {
  await runHelper(run, spec(run, env, s.volume, SWAP, [s.stage]), `putting the restored files of ${s.volume} in place`);
}

/** Removes a staged copy that will not be used. */
export async function discardVolume(run: ServerRun, env: string, s: StagedVolume): Promise<void> {
  await cleanVolumeStages(run, env, s.volume);
}
