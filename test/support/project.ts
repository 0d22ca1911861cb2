// Test projects: a throwaway git repository holding the echo app and a fleet file, with the
// branches and tags deploy policies ask for; and cleanup of everything a project left on the
// engine (by its slipway.project label, never anything else).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { REPO } from './cli.ts';

export interface TestProject {
  dir: string;
  project: string;
  git(args: string[]): string;
  writeFleet(yaml: string): void;
  /** Commits the working tree on the current branch. */
  commit(message: string): string;
}

export function uniqueProject(prefix: string): string {
  return `${prefix}${Date.now().toString(36).slice(-5)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
}

/** A git repo with examples/apps/echo (copied from this repo) on main and develop, tagged v1.0.0. */
export function makeProject(prefix: string): TestProject {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  const project = uniqueProject(prefix);
  mkdirSync(join(dir, 'examples', 'apps'), { recursive: true });
  cpSync(join(REPO, 'examples', 'apps', 'echo'), join(dir, 'examples', 'apps', 'echo'), { recursive: true });
  const git = (args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
    }).trim();
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'echo app']);
  git(['branch', 'develop']);
  git(['tag', 'v1.0.0']);
  return {
    dir,
    project,
    git,
    writeFleet: (yaml) => writeFileSync(join(dir, 'slipway.yaml'), yaml),
    commit: (message) => {
      git(['add', '-A']);
      git(['commit', '-q', '--allow-empty', '-m', message]);
      return git(['rev-parse', 'HEAD']);
    },
  };
}

/** Removes every container, network, volume and image of `project` from the local engine. */
export async function cleanupProject(project: string, dir?: string): Promise<void> {
  await cleanupProjectOn(new Docker(), project);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Removes every container, network, volume and image of `project` from one engine. */
export async function cleanupProjectOn(docker: Docker, project: string): Promise<void> {
  const filters = { label: [`slipway.project=${project}`] };
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  const vols = await docker.listVolumes({ filters });
  for (const v of vols.Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove()
      .catch(() => undefined);
  const images = [...(await docker.listImages({ filters: { reference: [`${project}/*`] } })), ...(await docker.listImages({ filters }))];
  for (const id of new Set(images.map((i) => i.Id)))
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
}

/** Names of this project's containers, with their state. */
export async function projectContainers(project: string): Promise<{ name: string; state: string; labels: Record<string, string> }[]> {
  const docker = new Docker();
  const list = await docker.listContainers({ all: true, filters: { label: [`slipway.project=${project}`] } });
  return list.map((c) => ({ name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, labels: c.Labels })).sort((a, b) => a.name.localeCompare(b.name));
}

export { freePort } from './processes.ts';
