// An app volume as a backup source: a tar of the volume's root made by the Docker engine itself
// (the archive API on a never-started holder container that mounts the volume read-only: no tool
// needed in any image), streamed out. While it flows, each file's path, size and sha256 are taken
// from the tar (tar-stream) for the manifest, so a verify can compare every file.
import { randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { listTarFiles } from './tar-files.ts';
import type { VolumeFile } from '../../backup/manifest.ts';
import { LABELS } from '../../model/labels.ts';
import { appVolume } from '../../model/names.ts';
import type { ServerRun } from '../server-run.ts';
import { ensureStateImage, STATE_IMAGE } from '../state-image.ts';

/** The app volumes of an environment on this run's server: Docker name, app and name in the fleet file. */
export function envVolumes(run: ServerRun, env: string): { volume: string; app: string; name: string }[] {
  const out: { volume: string; app: string; name: string }[] = [];
  for (const v of run.state.volumes) {
    const app = v.labels[LABELS.app];
    if (!app || v.labels[LABELS.env] !== env) continue;
    const prefix = appVolume(run.fleet.project, env, app, '');
    if (v.name.startsWith(prefix)) out.push({ volume: v.name, app, name: v.name.slice(prefix.length) });
  }
  return out.sort((a, b) => a.volume.localeCompare(b.volume));
}

/** Passes a tar through unchanged while listing its files with sizes and sha256. */
class TarLister extends Transform {
  readonly files: VolumeFile[] = [];
  readonly #ex = tarExtract();
  readonly #done: Promise<void>;
  constructor(root: string) {
    super({ highWaterMark: 1024 * 1024 });
    listTarFiles(this.#ex, root, this.files);
    this.#done = new Promise((resolve, reject) => {
      this.#ex.on('finish', resolve);
      this.#ex.on('error', reject);
    });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#ex.write(chunk)) cb(null, chunk);
    else this.#ex.once('drain', () => cb(null, chunk));
  }
  override _flush(cb: TransformCallback): void {
    this.#ex.end(undefined);
    this.#done.then(
      () => cb(),
      (e) => cb(e as Error),
    );
  }
}

export interface VolumeTar {
  stdout: Readable;
  /** After stdout has ended: the files it held (sorted) and the holder removed. */
  finish(): Promise<VolumeFile[]>;
  abort(): Promise<void>;
}

const ROOT = 'data';

export async function startVolumeTar(run: ServerRun, env: string, volume: string): Promise<VolumeTar> {
  const engine = run.conn.engine;
  await ensureStateImage(engine);
  const holder = `${run.fleet.project}-slipway-backup-vol-${randomBytes(4).toString('hex')}`;
  await engine.createContainer({
    name: holder,
    image: STATE_IMAGE,
    env: {},
    labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'backup', [LABELS.env]: env },
    networks: [],
    mounts: [{ volume, target: `/${ROOT}`, readOnly: true }],
    restart: 'no',
    stopTimeoutS: 1,
  });
  const remove = () => engine.removeContainer(holder, { force: true }).catch(() => undefined);
  let tar: Readable;
  try {
    tar = await engine.getArchiveStream(holder, `/${ROOT}`);
  } catch (e) {
    await remove();
    throw e;
  }
  const lister = new TarLister(ROOT);
  tar.on('error', (e) => lister.destroy(e));
  tar.pipe(lister);
  return {
    stdout: lister,
    finish: async () => {
      await remove();
      return [...lister.files].sort((a, b) => a.path.localeCompare(b.path));
    },
    abort: async () => {
      tar.destroy();
      await remove();
    },
  };
}
