// Reads docker-compose files into a ComposeProject the way `docker compose` does, keeping source
// positions so every problem is a Diagnostic with file:line:col, a key path
// (`services/api/healthcheck/interval`) and a hint. The steps, each in its own file:
//   variables (.env or the env files slipway.yaml names)      read-vars.ts
//   each file: YAML + aliases + interpolation                  read-document.ts
//   each file: extends (same file or another one)              read-extends.ts
//   files merged in order, then unique lists                   read-merge.ts, read-unique.ts
//   profiles                                                   read-profiles.ts
//   the merged tree → services, volumes, networks              read-service.ts and read-*.ts
// Unsupported keys are warnings, never failures: a team's existing compose file should import.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Diagnostic, SourcePos } from '../../diag/diagnostic.ts';
import { type CMap, type CNode, isMap, type Node } from './compose-tree.ts';
import { crossCheck } from './read-checks.ts';
import { describe, type Entry, ReadContext } from './read-context.ts';
import { emptyMap, loadDocument } from './read-document.ts';
import { applyExtends } from './read-extends.ts';
import { mergeMap } from './read-merge.ts';
import { namedMap } from './read-networks.ts';
import { applyProfiles, enabledProfiles } from './read-profiles.ts';
import { str } from './read-scalars.ts';
import { readService } from './read-service.ts';
import { readFileDefs } from './read-file-refs.ts';
import { enforceUnique } from './read-unique.ts';
import { projectVars } from './read-vars.ts';
import type { ComposeNamedSettings, ComposeProject } from './types.ts';

export type { ComposeHealth, ComposePort, ComposeProject, ComposeService, ComposeVolumeMount } from './types.ts';
export { parseShortPort } from './read-ports.ts';

export interface ReadComposeOptions {
  /** Interpolation variables that win over the env files (as the shell would). Slipway never reads the shell environment. */
  vars?: Record<string, string>;
  /** Reads compose, env and env_file files; defaults to the file system. Returns undefined when missing. */
  readFile?: (path: string) => string | undefined;
  /** Absolute paths of env files that replace the `.env` beside the first compose file (`--env-file`). */
  envFiles?: readonly string[];
  /** Profiles to enable (`*`: all); services without profiles always run. */
  profiles?: readonly string[];
  /** Where slipway.yaml asks for this import: problems with what it names point there. */
  origin?: SourcePos;
}

/**
 * Reads `files` (absolute paths; later files override earlier ones, paths in every file are
 * relative to the first one's directory). `text` is the first file's content, when the caller has it.
 */
export function readCompose(
  files: string | readonly string[],
  text?: string,
  opts: ReadComposeOptions = {},
): { compose?: ComposeProject; diagnostics: Diagnostic[] } {
  const list = typeof files === 'string' ? [files] : [...files];
  const main = list[0]!;
  const read = opts.readFile ?? defaultReadFile;
  const diagnostics: Diagnostic[] = [];
  const vars = projectVars({ composeFile: main, envFiles: opts.envFiles, vars: opts.vars, read, origin: opts.origin }, diagnostics);
  const rc = new ReadContext(main, vars, read, diagnostics);
  const trees = new Map<string, CNode | null>();
  let broken = false;
  const load = (file: string, from: SourcePos | undefined, given?: string): CNode | undefined => {
    const known = trees.get(file);
    if (known !== undefined) return known ?? undefined;
    const source = given ?? read(file);
    let tree: CNode | undefined;
    if (source === undefined)
      rc.add('error', 'compose-not-found', '', `cannot read compose file ${file}`, 'check the path given in "compose:"', from ?? { file, line: 1, col: 1 });
    else tree = loadDocument(file, source, vars, diagnostics);
    if (tree !== undefined && !isMap(tree)) {
      rc.add(
        'error',
        'bad-type',
        '',
        `expected a compose file (a map with "services:"), got ${describe(tree)}`,
        'a compose file starts with "services:"',
        tree.pos,
      );
      tree = undefined;
    }
    if (tree === undefined) broken = true;
    trees.set(file, tree ?? null);
    return tree;
  };
  let merged: CMap = emptyMap(main);
  const mainDir = dirname(main);
  const problem = (path: string, message: string, pos: SourcePos) =>
    rc.add('error', 'merge-conflict', path, message, 'write the value with the same shape (a map or a list) in both files', pos);
  list.forEach((file, i) => {
    const tree = load(file, opts.origin, i === 0 ? text : undefined);
    if (tree === undefined) return;
    const extended = applyExtends(rc, tree, file, mainDir, { load: (f, from) => load(f, from) });
    merged = enforceUnique(mergeMap(merged, extended as CMap, [], problem));
  });
  if (broken) return { diagnostics };
  const enabled = enabledProfiles(opts.profiles, vars);
  merged = applyProfiles(rc, merged, enabled.profiles, opts.origin, enabled.from);
  const compose = readProject(rc, merged, list);
  return { compose: diagnostics.some((d) => d.severity === 'error') ? undefined : compose, diagnostics };
}

function defaultReadFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readProject(rc: ReadContext, root: CMap, files: string[]): ComposeProject | undefined {
  const project: ComposeProject = { file: rc.file, files, services: [], volumes: [], networks: [] };
  let servicesNode: Node | null = null;
  let servicesEntries: Entry[] = [];
  const declaredVolumes = new Set<string>();
  const declaredNetworks = new Set<string>();
  const volumeSettings: Record<string, ComposeNamedSettings> = {};
  const networkSettings: Record<string, ComposeNamedSettings> = {};
  for (const e of rc.entries(root, '')) {
    switch (e.key) {
      case 'version':
        break; // obsolete in the compose spec, harmless
      case 'name': {
        const n = str(rc, e.value, 'name');
        if (n !== undefined) project.name = n;
        break;
      }
      case 'services':
        servicesNode = e.value;
        if (isMap(rc.deref(e.value))) servicesEntries = rc.entries(rc.deref(e.value), 'services');
        else rc.badType(e.value, 'services', 'a map of service name → service');
        break;
      case 'volumes':
        for (const v of namedMap(rc, e.value, 'volumes', volumeSettings)) declaredVolumes.add(v);
        break;
      case 'networks':
        for (const n of namedMap(rc, e.value, 'networks', networkSettings)) declaredNetworks.add(n);
        break;
      case 'configs':
      case 'secrets':
        project[e.key] = readFileDefs(rc, e.value, e.key);
        break;
      default:
        if (e.key.startsWith('x-')) break;
        rc.unsupported(e, e.key, `top-level "${e.key}" is not imported`);
    }
  }
  if (!servicesNode || servicesEntries.length === 0) {
    if (!servicesNode || isMap(rc.deref(servicesNode)))
      rc.add(
        'error',
        'no-services',
        'services',
        'the compose file defines no services',
        'add at least one service under "services:"',
        rc.pos(servicesNode ?? root),
      );
    return undefined;
  }
  project.volumes = [...declaredVolumes];
  project.networks = [...declaredNetworks];
  if (Object.keys(volumeSettings).length > 0) project.volumeSettings = volumeSettings;
  if (Object.keys(networkSettings).length > 0) project.networkSettings = networkSettings;
  for (const e of servicesEntries) {
    const svc = readService(rc, e);
    if (svc) project.services.push(svc);
  }
  crossCheck(rc, project, declaredVolumes, declaredNetworks);
  return project;
}
