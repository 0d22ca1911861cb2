// The image of a release, on the target engine and without a registry: built from `git archive`
// of the deployed ref through the Engine build API, or an existing image retagged. Every release
// gets the tag `{project}/{app}:{env}-{release}` and labels saying what it was made from.
import { resolve } from 'node:path';
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
  const builds: { tag: string; context: string; dockerfile: string }[] = [];
  if (app.source.kind === 'git') builds.push({ tag, context: app.source.context, dockerfile: app.source.dockerfile });
  for (const p of app.perEnv[env]?.processes ?? []) {
    if (p.build)
      builds.push({ tag: `${project}/${app.name}-${p.name}:${releaseTagOf(env, release)}`, context: p.build.context, dockerfile: p.build.dockerfile });
  }
  let appImage: BuiltRelease | undefined;
  // Build once per commit: an image already built from this commit (tagged git-<sha>) is reused.
  const shaTag = `${project}/${app.name}:git-${ref.sha.slice(0, 12)}`;
  const prior = app.source.kind === 'git' ? await engine.imageInspect(shaTag) : null;
  if (prior) {
    run.report.info(`    reusing image ${prior.id.slice(7, 19)} built from ${ref.sha.slice(0, 12)} (no rebuild)`);
    await engine.tagImage(shaTag, tag);
    appImage = { image: tag, imageId: prior.id, gitSha: ref.sha, ref: ref.ref };
  }
  for (const b of builds.filter((b) => !(prior && b.tag === tag))) {
    const context = await archiveContext(repo, ref.sha, b.context);
    let lines = 0;
    const built = await engine.buildImage({
      contextTar: context,
      tag: b.tag,
      dockerfile: b.dockerfile,
      buildArgs: { RELEASE: release, GIT_SHA: ref.sha },
      labels,
      onProgress: (l) => {
        lines++;
        if (/^Step \d+\/\d+/.test(l)) run.report.info(`    ${l.trim()}`);
      },
    });
    void lines;
    if (b.tag === tag) {
      appImage = { image: tag, imageId: built.id, gitSha: ref.sha, ref: ref.ref };
      await engine.tagImage(tag, shaTag);
    }
  }
  return appImage ?? { image: tag, imageId: '', gitSha: ref.sha, ref: ref.ref };
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
