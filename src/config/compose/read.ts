// Reads a docker-compose file into a ComposeProject, keeping source positions so every problem
// is a Diagnostic with file:line:col, a key path (`services/api/healthcheck/interval`) and a hint.
// Unsupported keys are warnings, never failures: a team's existing compose file should import.
// This file holds the entry point and the top level; each concern has its own read-*.ts.
import { readFileSync } from 'node:fs';
import { isMap, type Node } from 'yaml';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import { crossCheck } from './read-checks.ts';
import { describe, ReadContext, type Entry } from './read-context.ts';
import { namedMap } from './read-networks.ts';
import { str } from './read-scalars.ts';
import { readService } from './read-service.ts';
import type { ComposeProject } from './types.ts';

export type { ComposeHealth, ComposePort, ComposeProject, ComposeService, ComposeVolumeMount } from './types.ts';
export { parseShortPort } from './read-ports.ts';

export interface ReadComposeOptions {
  /** Interpolation variables. Slipway never reads the shell environment for these. */
  vars?: Record<string, string>;
  /** Reads env_file files; defaults to the file system. Returns undefined when missing. */
  readFile?: (path: string) => string | undefined;
}

export function readCompose(file: string, text?: string, opts: ReadComposeOptions = {}): { compose?: ComposeProject; diagnostics: Diagnostic[] } {
  const read = opts.readFile ?? defaultReadFile;
  const diagnostics: Diagnostic[] = [];
  let source = text;
  if (source === undefined) {
    source = read(file);
    if (source === undefined) {
      diagnostics.push({
        severity: 'error',
        code: 'compose-not-found',
        path: '',
        message: `cannot read compose file ${file}`,
        hint: 'check the path given in "compose:"',
        pos: { file, line: 1, col: 1 },
      });
      return { diagnostics };
    }
  }
  const r = new ReadContext(file, source, opts.vars ?? {}, read, diagnostics);
  const compose = readProject(r);
  return { compose: diagnostics.some((d) => d.severity === 'error') ? undefined : compose, diagnostics };
}

function defaultReadFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readProject(rc: ReadContext): ComposeProject | undefined {
  const doc = rc.doc;
  if (doc.errors.length > 0) {
    const lines = new Set<number>();
    for (const e of doc.errors) {
      const pos = rc.posAt(e.pos[0]);
      if (lines.has(pos.line)) continue; // follow-on errors of the same broken line
      lines.add(pos.line);
      const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      rc.add(
        'error',
        e.code === 'DUPLICATE_KEY' ? 'duplicate-key' : 'yaml-syntax',
        '',
        message,
        e.code === 'DUPLICATE_KEY' ? 'each key may appear once in a map' : 'check indentation and quoting around this position',
        pos,
      );
    }
    return undefined;
  }
  const root = rc.deref(doc.contents as Node | null);
  if (!isMap(root)) {
    rc.add(
      'error',
      'bad-type',
      '',
      `expected a compose file (a map with "services:"), got ${describe(root)}`,
      'a compose file starts with "services:"',
      rc.pos(root),
    );
    return undefined;
  }
  const project: ComposeProject = { file: rc.file, services: [], volumes: [], networks: [] };
  let servicesNode: Node | null = null;
  let servicesEntries: Entry[] = [];
  const declaredVolumes = new Set<string>();
  const declaredNetworks = new Set<string>();
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
        for (const v of namedMap(rc, e.value, 'volumes')) declaredVolumes.add(v);
        break;
      case 'networks':
        for (const n of namedMap(rc, e.value, 'networks')) declaredNetworks.add(n);
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
  for (const e of servicesEntries) {
    const svc = readService(rc, e);
    if (svc) project.services.push(svc);
  }
  crossCheck(rc, project, declaredVolumes, declaredNetworks);
  return project;
}
