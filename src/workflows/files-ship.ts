// Ships the repository files and folders an app's containers bind-mount (compose binds, configs,
// secrets) to the server, before the deploy (or rollback) creates them. Everything goes through the
// DockerEngine port, so a remote server over SSH works the same (no scp, no shell):
//   1. the content is read from the deployed commit (files-source.ts);
//   2. it is put into the environment's files volume `{project}-{env}-files` with one archive
//      upload into a never-started holder container (removed right after), at
//      `<address>/<name>`: content-addressed, so a copy is never changed once containers bind it,
//      and each environment has its own;
//   3. the app's desired specs are completed with the digest and the path on the server
//      (desire/mounts.ts `withShippedFiles`): changed content is a new spec hash, so a new container.
// Secrets' files are mode 0400 unless said otherwise, and only their targets are ever printed.
// Old copies stay in the volume until the environment's data is destroyed (`down --destroy-data`).
import { basename, resolve } from 'node:path';
import type { App } from '../config/fleet.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { packTar, type TarEntry } from '../engine/tar.ts';
import { contentAddress } from '../model/file-digest.ts';
import { LABELS } from '../model/labels.ts';
import { filesVolume } from '../model/names.ts';
import type { ContainerBind } from '../plan/desire/desired.ts';
import { shipKey, withShippedFiles } from '../plan/desire/mounts.ts';
import { desiredOf } from './app-containers.ts';
import { type ContentOrigin, readSources, type SourceContent } from './files-source.ts';
import type { ServerRun } from './server-run.ts';
import { ensureStateImage, STATE_IMAGE } from './state-image.ts';

const MOUNT = '/files';

export interface ShipResult {
  volume: string;
  /** Distinct copies shipped. */
  copies: number;
  /** Containers (replicas) whose specs now bind them. */
  containers: number;
}

/**
 * Ships what the app's containers in `env` bind from the repository and completes their specs in
 * place (every holder of the specs, the rollout included, sees the shipped paths). `sha`: the
 * commit to ship from; absent, the working tree. Nothing to ship: returns undefined, no engine call.
 */
export async function shipFiles(run: ServerRun, app: App, env: string, from: { sha?: string }): Promise<ShipResult | undefined> {
  const specs = desiredOf(run, app.name, env).filter((s) => s.binds?.some((b) => b.repo));
  if (specs.length === 0) return undefined;
  const binds = new Map<string, ContainerBind>();
  for (const s of specs) for (const b of s.binds ?? []) if (b.repo) binds.set(shipKey(b), b);
  const origin: ContentOrigin = { fleetDir: resolve(run.fleet.file, '..'), ...(from.sha ? { sha: from.sha } : {}) };
  const volume = filesVolume(run.fleet.project, env);
  const label = `files: ${binds.size} to ${volume} (from ${from.sha ? `commit ${from.sha.slice(0, 12)}` : 'the working tree'})`;
  return run.report.step(label, async () => {
    const sources = [...new Map([...binds.values()].map((b) => [b.source, { source: b.source, secret: b.repo!.secret === true }])).values()];
    const content = await readSources(origin, sources);
    const mountpoint = await ensureVolume(run, env, volume);
    const shipped = new Map<string, { digest: string; hostPath: string }>();
    const entries: TarEntry[] = [];
    for (const [key, b] of binds) {
      const c = content.get(b.source)!;
      const how = { mode: b.repo!.mode, uid: b.repo!.uid, gid: b.repo!.gid, secret: b.repo!.secret };
      const address = contentAddress(c.digest, how);
      const name = basename(resolve(origin.fleetDir, b.source)) || 'root';
      entries.push(...tarEntries(`${address}/${name}`, c, b));
      shipped.set(key, { digest: c.digest, hostPath: `${mountpoint}/${address}/${name}` });
      run.report.info(`    ${b.repo!.secret ? `secret → ${b.target}` : `${b.source} → ${b.target}`}${b.readOnly ? ' (read-only)' : ''}`);
    }
    await upload(run, env, volume, await packTar(dedupeDirs(entries)));
    for (const s of specs) Object.assign(s, withShippedFiles(s, shipped));
    return { volume, copies: binds.size, containers: specs.length };
  });
}

/** The tar entries of one copy: its directories (0755), then its files with their mode and owner. */
function tarEntries(root: string, c: SourceContent, b: ContainerBind): TarEntry[] {
  const r = b.repo!;
  const owner = { ...(r.uid !== undefined ? { uid: r.uid } : {}), ...(r.gid !== undefined ? { gid: r.gid } : {}) };
  const dirs: TarEntry[] = [{ path: root.split('/')[0]!, content: '', type: 'dir', mode: 0o755 }];
  if (c.type === 'dir') dirs.push({ path: root, content: '', type: 'dir', mode: 0o755, ...owner });
  const files: TarEntry[] = [];
  for (const e of c.entries) {
    const path = c.type === 'file' ? root : `${root}/${e.path}`;
    const parts = path.split('/');
    for (let i = 2; i < parts.length; i++) dirs.push({ path: parts.slice(0, i).join('/'), content: '', type: 'dir', mode: 0o755, ...owner });
    if (e.kind === 'symlink') files.push({ path, content: String(e.content), type: 'symlink', ...owner });
    else files.push({ path, content: e.content as Buffer, mode: r.mode ?? (e.executable ? 0o755 : 0o644), ...owner });
  }
  return [...dirs, ...files];
}

/** Each directory once, parents first (the archive sets their modes). */
function dedupeDirs(entries: TarEntry[]): TarEntry[] {
  const seen = new Set<string>();
  const dirs = entries.filter((e) => e.type === 'dir' && !seen.has(e.path) && seen.add(e.path));
  dirs.sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path));
  return [...dirs, ...entries.filter((e) => e.type !== 'dir')];
}

/** The files volume (created with desire's labels when `up` has not made it yet) and its path on the server. */
async function ensureVolume(run: ServerRun, env: string, volume: string): Promise<string> {
  const { engine } = run.conn;
  const labels = { [LABELS.project]: run.fleet.project, [LABELS.env]: env, [LABELS.role]: 'files' };
  const find = async () => (await engine.listVolumes({ [LABELS.project]: run.fleet.project, [LABELS.env]: env })).find((v) => v.name === volume);
  let v = await find();
  if (!v) {
    await engine.createVolume({ name: volume, labels });
    v = await find();
  }
  if (!v?.mountpoint) throw new Error(`${run.conn.server.name}: volume ${volume} has no mount point`);
  return v.mountpoint.replace(/\/+$/, '');
}

/** One archive upload through a holder container that is never started, removed afterwards. */
async function upload(run: ServerRun, env: string, volume: string, tar: Buffer): Promise<void> {
  const { engine } = run.conn;
  const holder = `${volume}-ship`;
  // A holder left by an interrupted deploy (the env lock makes this deploy the only one here).
  await engine.removeContainer(holder, { force: true }).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
  await ensureStateImage(engine);
  await engine.createContainer({
    name: holder,
    image: STATE_IMAGE,
    env: {},
    labels: { [LABELS.project]: run.fleet.project, [LABELS.env]: env, [LABELS.role]: 'files' },
    networks: [],
    mounts: [{ volume, target: MOUNT }],
    restart: 'no',
    stopTimeoutS: 1,
  });
  try {
    await engine.putArchive(holder, MOUNT, tar);
  } finally {
    await engine.removeContainer(holder, { force: true }).catch(() => undefined);
  }
}
