// Adapter between the loader and compose import: reads each distinct set of compose files (files,
// env files, profiles) once per load, reports its problems once, then turns it into processes for
// every environment. Paths in slipway.yaml are relative to the fleet file.
import { resolve } from 'node:path';
import type { Diagnostic } from '../../diag/diagnostic.ts';
import type { ComposeImporter } from '../normalize.ts';
import { composeToProcesses } from './processes.ts';
import { workingTreeReader } from './bind-sources.ts';
import { type ComposeProject, readCompose } from './read.ts';

export function composeImporter(fleetDir: string): ComposeImporter {
  const cache = new Map<string, { compose?: ComposeProject; diagnostics: Diagnostic[] }>();
  // Bind sources of the working tree, each read (and hashed) once for every environment.
  const readSource = workingTreeReader();
  return (source, ctx) => {
    const files = source.files.map((f) => resolve(fleetDir, f));
    const envFiles = source.envFiles?.map((f) => resolve(fleetDir, f));
    const key = JSON.stringify([files, envFiles, source.profiles]);
    let read = cache.get(key);
    const first = read === undefined;
    if (!read) {
      read = readCompose(files, undefined, { envFiles, profiles: source.profiles, ...(ctx.pos ? { origin: ctx.pos } : {}) });
      cache.set(key, read);
    }
    const sourceDiagnostics = first ? read.diagnostics : [];
    if (!read.compose) return { processes: [], volumes: [], diagnostics: [], sourceDiagnostics };
    const { processes, volumes, diagnostics } = composeToProcesses(read.compose, { ...ctx, fleetDir, readSource });
    return { processes, volumes, diagnostics, sourceDiagnostics };
  };
}
