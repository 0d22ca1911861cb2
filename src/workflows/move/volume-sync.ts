// A volume copied from one Docker server to another, incrementally: both sides are listed (path,
// type, size, mtime, mode, owner, symlink target; see volume-list.ts), what is gone from the source
// is deleted on the target, and only what is new or differs is sent. The bytes flow from a `tar -c`
// helper on the source (the volume mounted read-only, the names on its stdin) through this process
// (tar-stream, one entry in flight, never held whole) into a `tar -x` helper on the target, with
// mode, numeric owner and mtime kept. Safe to re-run after a kill at any point: a half-written file
// on the target has the wrong size or mtime and is sent again. Mtimes are whole seconds, so a file
// modified in the second its listing was taken ("racy") is sent and then marked on the target with
// an impossible mtime: the next run sends it once more, after it has settled.
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { extract as tarExtract, pack as tarPack, type Header } from 'tar-stream';
import { UserError } from '../../diag/errors.ts';
import type { StreamingRun } from '../../engine/docker-engine.ts';
import { helperSpec, listVolume, MOUNT, runHelper, type VolumeEntry, type VolumeListing, type VolumeSide } from './volume-list.ts';

export type { VolumeSide } from './volume-list.ts';

export interface VolumeSyncResult {
  /** Regular files on the source, and their bytes. */
  files: number;
  bytes: number;
  /** Entries sent this run (files and symlinks; directories are not counted), and the file bytes sent. */
  sent: number;
  sentBytes: number;
  /** Entries removed from the target because the source no longer has them (or has another type there). */
  deleted: number;
  ms: number;
}

const DELETE = `cd ${MOUNT} && xargs -0 -r rm -rf`;
const TAR_OUT = `cd ${MOUNT} && xargs -0 -r tar -c -f - --no-recursion --numeric-owner`;
const TAR_IN = `cd ${MOUNT} && tar -x -f - --numeric-owner`;
/** Any mtime the source cannot have: the file differs on the next run and is sent again. */
const MARK_RACY = `cd ${MOUNT} && xargs -0 -r touch -c -m -t 197001010000.00`;
const HASH = `cd ${MOUNT} || exit 1
find . -type f -exec sh -c 'for f do printf "%s\\0" "$f"; sha256sum < "$f"; printf "\\0"; done' sh {} +`;

/** The volume's labels, or null when it does not exist. */
async function volumeLabels(side: VolumeSide): Promise<Record<string, string> | null> {
  const v = (await side.engine.listVolumes({})).find((x) => x.name === side.volume);
  return v ? v.labels : null;
}

const same = (a: VolumeEntry, b: VolumeEntry) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;

/** True when `s` (the source's entry) must be sent because the target's `d` is missing or differs. */
function mustSend(s: VolumeEntry, d: VolumeEntry | undefined, clock: number): boolean {
  if (!d || d.type !== s.type) return true;
  switch (s.type) {
    case 'dir':
      return !same(s, d);
    case 'symlink':
      return s.target !== d.target || s.uid !== d.uid || s.gid !== d.gid;
    case 'file':
      return s.size !== d.size || s.mtime !== d.mtime || !same(s, d) || s.mtime >= clock - 1;
    default:
      return s.size !== d.size || s.mtime !== d.mtime || !same(s, d);
  }
}

const nulList = (paths: string[]) => Buffer.from(paths.map((p) => `./${p}\0`).join(''), 'utf8');

interface Plan {
  remove: string[];
  send: VolumeEntry[];
  racy: string[];
}

function planSync(src: VolumeListing, dst: VolumeListing): Plan {
  const remove: string[] = [];
  for (const [path, d] of dst.entries) {
    const s = src.entries.get(path);
    if (!s || s.type !== d.type) remove.push(path);
  }
  // Parents sort before their children, so a directory reaches tar -x before what it holds.
  const send = [...src.entries.values()]
    .filter((s) => mustSend(s, dst.entries.get(s.path), src.clock))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const racy = send.filter((s) => s.type === 'file' && s.mtime >= src.clock - 1).map((s) => s.path);
  return { remove: remove.sort(), send, racy };
}

const writeError = (dst: VolumeSide, t: { exitCode: number; stderr: string }) =>
  new Error(`${dst.server}: writing volume ${dst.volume} failed (exit ${t.exitCode}): ${t.stderr.trim().split('\n').slice(-2).join(' | ')}`);

/** A tar read from the source helper, written to the target helper entry by entry. */
async function transfer(src: VolumeSide, dst: VolumeSide, paths: string[], onBytes: (n: number) => void): Promise<void> {
  const ex = tarExtract();
  const pack = tarPack();
  const input = new PassThrough();
  input.end(nulList(paths));
  const target = await dst.engine.runStreaming(helperSpec(dst, 'untar', TAR_IN, { readOnly: false }), { stdin: pack as unknown as Readable });
  target.stdout.resume();
  let source: StreamingRun | undefined;
  try {
    source = await src.engine.runStreaming(helperSpec(src, 'tar', TAR_OUT, { readOnly: true }), { stdin: input });
    ex.on('entry', (h: Header, stream, next) => {
      const header: Header = {
        name: h.name,
        type: h.type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime,
        size: h.size,
        linkname: h.linkname,
        uname: '',
        gname: '',
        devmajor: h.devmajor,
        devminor: h.devminor,
      };
      const sink = pack.entry(header, (err) => (err ? ex.destroy(err) : next()));
      // A failure anywhere ends the whole transfer through `ex` (the pipeline's error); not twice here.
      stream.on('error', () => undefined);
      sink.on('error', () => undefined);
      if (!h.size || h.type !== 'file') {
        stream.resume();
        return;
      }
      stream.on('data', (c: unknown) => onBytes((c as Buffer).length));
      stream.pipe(sink);
    });
    const out = source.stdout;
    const flowing = new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      ex.on('error', reject);
      ex.on('finish', resolve);
      out.pipe(ex as unknown as NodeJS.WritableStream);
    }).then(() => pack.finalize());
    // A target that dies stops the flow at once (else the source would wait on a full pipe).
    const written = target.done.then((t) => {
      if (t.exitCode === 0) return;
      const e = writeError(dst, t);
      ex.destroy(e);
      throw e;
    });
    const [, s] = await Promise.all([flowing, source.done, written]);
    if (s.exitCode !== 0) {
      // A file that vanished between the listing and the tar is not an error: the next run sees it gone.
      const other = s.stderr.split('\n').filter((l) => l.trim() && !/No such file or directory|Exiting with failure status due to previous errors/.test(l));
      if (other.length) throw new Error(`${src.server}: reading volume ${src.volume} failed (exit ${s.exitCode}): ${other.slice(-2).join(' | ')}`);
    }
  } catch (e) {
    ex.destroy();
    pack.destroy();
    // Drained, not destroyed: over SSH its attach stream (and so `done`) ends only once read to the end.
    source?.stdout.unpipe();
    source?.stdout.on('error', () => undefined).resume();
    await Promise.all([source?.kill(), target.kill()]);
    const [, t] = await Promise.all([source?.done.catch(() => undefined), target.done.catch(() => undefined)]);
    // The target's own failure says more than the stream it broke.
    if (t && t.exitCode !== 0 && !(e instanceof Error && e.message.includes('writing volume'))) throw writeError(dst, t);
    throw e;
  }
}

/**
 * Makes `dst`'s volume hold what `src`'s holds: the first run copies everything, later runs send
 * only what is new or differs and delete on `dst` what `src` no longer has. The target volume is
 * created, with the source's labels, when missing.
 */
export async function syncVolume(src: VolumeSide, dst: VolumeSide, opts: { onProgress?: (p: { sentBytes: number }) => void } = {}): Promise<VolumeSyncResult> {
  const t0 = Date.now();
  const labels = await volumeLabels(src);
  if (!labels) throw new UserError(`${src.server}: volume ${src.volume} does not exist`, 'check the volume name with: docker volume ls on that server');
  if ((await volumeLabels(dst)) === null) await dst.engine.createVolume({ name: dst.volume, labels });
  const [s, d] = await Promise.all([listVolume(src), listVolume(dst)]);
  const plan = planSync(s, d);
  let deleted = 0;
  if (plan.remove.length) {
    await runHelper(dst, helperSpec(dst, 'delete', DELETE, { readOnly: false }), 'deleting', nulList(plan.remove));
    deleted = plan.remove.length;
  }
  let sentBytes = 0;
  if (plan.send.length) {
    await transfer(
      src,
      dst,
      plan.send.map((e) => e.path),
      (n) => {
        sentBytes += n;
        opts.onProgress?.({ sentBytes });
      },
    );
  }
  if (plan.racy.length) await runHelper(dst, helperSpec(dst, 'mark', MARK_RACY, { readOnly: false }), 'marking recently changed files', nulList(plan.racy));
  let files = 0;
  let bytes = 0;
  for (const e of s.entries.values())
    if (e.type === 'file') {
      files++;
      bytes += e.size;
    }
  return { files, bytes, sent: plan.send.filter((e) => e.type !== 'dir').length, sentBytes, deleted, ms: Date.now() - t0 };
}

/**
 * A sha256 over every entry of the volume, sorted by path: regular files by path, size and content
 * hash, directories by path, symlinks by path and target, each with its mode and numeric owner.
 * Two volumes with the same digest hold the same tree.
 */
export async function volumeDigest(side: VolumeSide): Promise<{ files: number; bytes: number; digest: string }> {
  const listing = await listVolume(side);
  const out = await runHelper(side, helperSpec(side, 'hash', HASH, { readOnly: true }), 'hashing');
  const hashes = new Map<string, string>();
  const tokens = out.toString('utf8').split('\0');
  for (let i = 0; i + 1 < tokens.length; i += 2) hashes.set(tokens[i]!.replace(/^\.\//, ''), tokens[i + 1]!.slice(0, 64));
  const h = createHash('sha256');
  let files = 0;
  let bytes = 0;
  const paths = [...listing.entries.keys()].sort();
  for (const p of paths) {
    const e = listing.entries.get(p)!;
    const meta = `${e.mode.toString(8)}\0${e.uid}:${e.gid}`;
    if (e.type === 'file') {
      files++;
      bytes += e.size;
      h.update(`f\0${p}\0${e.size}\0${hashes.get(p) ?? 'unread'}\0${meta}\n`);
    } else if (e.type === 'symlink') h.update(`l\0${p}\0${e.target ?? ''}\0${e.uid}:${e.gid}\n`);
    else h.update(`${e.type === 'dir' ? 'd' : 'o'}\0${p}\0${meta}\n`);
  }
  return { files, bytes, digest: h.digest('hex') };
}
