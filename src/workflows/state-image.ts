// The tiny image Slipway uses for its own never-started holder containers (state volume holder,
// environment locks). Built FROM scratch on the target engine from an in-memory context, so it
// needs no registry and no base image.
import type { DockerEngine } from '../engine/docker-engine.ts';
import { packTar } from '../engine/tar.ts';

export const STATE_IMAGE = 'slipway/state:1';

export async function ensureStateImage(engine: DockerEngine): Promise<void> {
  if (await engine.imageInspect(STATE_IMAGE)) return;
  const context = await packTar([
    { path: 'Dockerfile', content: 'FROM scratch\nCOPY README /README\nLABEL slipway.role=state\nCMD ["/README"]\n' },
    { path: 'README', content: 'Slipway state holder: never started; its volumes hold Slipway state.\n' },
  ]);
  try {
    await engine.buildImage({ contextTar: context, tag: STATE_IMAGE, dockerfile: 'Dockerfile', buildArgs: {}, labels: {} });
  } catch (e) {
    // Several commands' first use on a fresh engine build it at once; one may lose the race to tag it.
    if (await engine.imageInspect(STATE_IMAGE)) return;
    throw e;
  }
}
