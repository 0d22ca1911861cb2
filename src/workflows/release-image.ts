// The image of a release, on the target engine and without a registry: built from `git archive`
// of the deployed ref through the Engine build API, or an existing image retagged. Every release
// gets the tag `{project}/{app}:{env}-{release}` and labels saying what it was made from.
import { createHash } from 'node:crypto';
import { posix, resolve } from 'node:path';
import type { App, Environment, Fleet } from '../config/fleet.ts';
import type { ImageInfo } from '../engine/docker-engine.ts';
import { UserError } from '../diag/errors.ts';
import { archiveContext, currentBranch, resolveRef, type ResolvedRef } from './git-source.ts';
import { defaultRef, enforcePolicy } from './deploy-policy.ts';
import { operator } from './audit.ts';
import { releaseImage, releaseTagOf } from './app-containers.ts';
import type { ServerRun } from './server-run.ts';
import { dirname } from 'node:path';
import { LABELS } from '../model/labels.ts';
import { webProcess } from '../plan/desire/web-process.ts';

export interface ReleaseSource {
  /** What was asked for: a git ref or an image. */
  ref?: ResolvedRef;
  image?: string;
}

/** Decides what to deploy and enforces the environment's policy (before any lock or build). */
export async function chooseSource(fleet: Fleet, app: App, env: Environment, opts: { ref?: string; image?: string }): Promise<ReleaseSource> {
  if (opts.image) {
    enforcePolicy(env, { image: opts.image });
    return { image: opts.image };
  }
  if (app.source.kind === 'image' && opts.ref === undefined) {
    enforcePolicy(env, { image: app.source.image });
    return { image: app.source.image };
  }
  const repo = repoDir(fleet, app);
  const ref = await resolveRef(repo, opts.ref ?? defaultRef(env, await currentBranch(repo)));
  enforcePolicy(env, { ref: ref.ref, kind: ref.kind });
  return { ref };
}

export function repoDir(fleet: Fleet, app: App): string {
  const base = dirname(resolve(fleet.file));
  return resolve(base, app.source.kind === 'git' ? app.source.repo : '.');
}

export interface BuiltRelease {
  image: string;
  imageId: string;
  gitSha?: string;
  ref?: string;
}

/** Builds (or tags) every image the release needs; returns the app image. */
/** `inspected`: the source image's inspection when the caller started it earlier (deploy does, alongside its lock). */
export async function makeReleaseImages(
  run: ServerRun,
  app: App,
  env: string,
  release: string,
  src: ReleaseSource,
  inspected?: Promise<ImageInfo | null>,
): Promise<BuiltRelease> {
  const { engine } = run.conn;
  const project = run.fleet.project;
  const tag = releaseImage(project, app.name, env, release);
  const labels = {
    [LABELS.project]: project,
    [LABELS.app]: app.name,
    [LABELS.release]: release,
    [LABELS.builtBy]: operator(),
    ...(src.ref ? { [LABELS.gitSha]: src.ref.sha, [LABELS.ref]: src.ref.ref } : {}),
  };
  if (src.image) {
    const img = await (inspected ?? engine.imageInspect(src.image));
    if (!img)
      throw new UserError(
        `${run.conn.server.name}: image ${src.image} is not on the server`,
        'build it there, load it (docker save | docker load), or deploy from git with --ref',
      );
    await engine.tagImage(src.image, tag);
    return { image: tag, imageId: img.id };
  }
  const ref = src.ref!;
  const repo = repoDir(run.fleet, app);
  const builds = distinctBuilds(project, app, env, release);
  let appImage: BuiltRelease | undefined;
  const sha12 = ref.sha.slice(0, 12);
  for (const b of builds) {
    // Build once per commit: an image already built from this commit (tagged git-<sha>) is reused.
    const shaTag = b.tags.includes(tag) ? `${project}/${app.name}:git-${sha12}` : `${project}/${app.name}:git-${sha12}-${b.key}`;
    const prior = await engine.imageInspect(shaTag);
    let id: string;
    if (prior) {
      run.report.info(`    reusing image ${prior.id.slice(7, 19)} built from ${sha12} for ${b.users.join(', ')} (no rebuild)`);
      id = prior.id;
      for (const t of b.tags) await engine.tagImage(shaTag, t);
    } else {
      if (builds.length > 1 || b.users.length > 1)
        run.report.info(`    building ${b.context} (${b.dockerfile}${b.target ? `, target ${b.target}` : ''}) for ${b.users.join(', ')}`);
      const built = await engine.buildImage({
        contextTar: await archiveContext(repo, ref.sha, b.context),
        tag: b.tags[0]!,
        dockerfile: b.dockerfile,
        ...(b.target ? { target: b.target } : {}),
        buildArgs: { ...b.args, RELEASE: release, GIT_SHA: ref.sha },
        labels,
        onProgress: (l) => {
          if (/^Step \d+\/\d+/.test(l)) run.report.info(`    ${l.trim()}`);
        },
      });
      id = built.id;
      // One build, every tag that needs it (the same Dockerfile for web, worker and migrate).
      for (const t of b.tags.slice(1)) await engine.tagImage(b.tags[0]!, t);
      await engine.tagImage(b.tags[0]!, shaTag);
    }
    if (b.tags.includes(tag)) appImage = { image: tag, imageId: id, gitSha: ref.sha, ref: ref.ref };
  }
  return appImage ?? { image: tag, imageId: '', gitSha: ref.sha, ref: ref.ref };
}

/** One image to build for a release: its inputs, the tags that take it, and who uses it. */
export interface ReleaseBuild {
  /** Short digest of context, Dockerfile, target and args: equal inputs, one build. */
  key: string;
  context: string;
  dockerfile: string;
  target?: string;
  args?: Record<string, string>;
  tags: string[];
  /** `app` and/or process names, for messages. */
  users: string[];
}

/** The app's image (git apps) and each process's own build, grouped so that each distinct build is made once. */
export function distinctBuilds(project: string, app: App, env: string, release: string): ReleaseBuild[] {
  const out = new Map<string, ReleaseBuild>();
  const add = (tag: string, user: string, b: { context: string; dockerfile: string; target?: string; args?: Record<string, string> }) => {
    const inputs = { context: normalize(b.context), dockerfile: normalize(b.dockerfile), target: b.target ?? null, args: b.args ?? {} };
    const key = createHash('sha256').update(stableJson(inputs)).digest('hex').slice(0, 8);
    const existing = out.get(key);
    if (existing) {
      if (!existing.tags.includes(tag)) existing.tags.push(tag);
      existing.users.push(user);
      return;
    }
    out.set(key, {
      key,
      context: b.context,
      dockerfile: b.dockerfile,
      ...(b.target ? { target: b.target } : {}),
      ...(b.args ? { args: { ...b.args } } : {}),
      tags: [tag],
      users: [user],
    });
  };
  if (app.source.kind === 'git') add(releaseImage(project, app.name, env, release), 'app', { context: app.source.context, dockerfile: app.source.dockerfile });
  const processes = app.perEnv[env]?.processes ?? [];
  for (const p of processes) {
    if (p.build) add(`${project}/${app.name}-${p.name}:${releaseTagOf(env, release)}`, p.name, p.build);
  }
  // A compose app has no image of its own: the release's tag (its history record, rollback, release
  // commands) names the build of its web process, else its first build.
  const builtWeb = [webProcess(processes), ...processes].find((p) => p?.build);
  if (app.source.kind !== 'git' && builtWeb?.build) add(releaseImage(project, app.name, env, release), 'app', builtWeb.build);
  return [...out.values()];
}

/** `./a/../b/` → `b`: paths that name the same place compare equal. */
function normalize(path: string): string {
  return posix.normalize(path.replace(/\\/g, '/')).replace(/\/+$/, '') || '.';
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

/** Every tag makeReleaseImages gives a release (the app image and per-process builds). */
export function releaseTags(fleet: Fleet, app: App, env: string, release: string): string[] {
  const perProcess = (app.perEnv[env]?.processes ?? [])
    .filter((p) => p.build)
    .map((p) => `${fleet.project}/${app.name}-${p.name}:${releaseTagOf(env, release)}`);
  return [releaseImage(fleet.project, app.name, env, release), ...perProcess];
}

/** Removes the tags of a release that will not be deployed under that id after all (the images stay under their other tags). */
export async function dropReleaseImages(builder: ServerRun, target: ServerRun, app: App, env: string, release: string): Promise<void> {
  for (const r of new Set([builder, target])) {
    for (const tag of releaseTags(r.fleet, app, env, release)) await r.conn.engine.removeImage(tag).catch(() => undefined);
  }
}

/**
 * Makes `image` (with id `id`) available on `to`, tagged `tag`: nothing to move when `to` already
 * has that image id; otherwise streamed from `from` (docker save | docker load), no registry.
 */
export async function shipImage(from: ServerRun, to: ServerRun, image: string, id: string, tag: string): Promise<'present' | 'transferred'> {
  const existing = await to.conn.engine.imageInspect(id);
  if (existing) {
    await to.conn.engine.tagImage(id, tag);
    return 'present';
  }
  await to.conn.engine.loadImage(await from.conn.engine.saveImage(image));
  await to.conn.engine.tagImage(image, tag);
  return 'transferred';
}
