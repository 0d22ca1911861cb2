// Adapter between the loader and compose import: reads each compose file once per load, then
// turns it into processes for every environment.
import { resolve } from 'node:path';
import type { ComposeImporter } from '../normalize.ts';
import { readCompose, type ComposeProject } from './read.ts';
import { composeToProcesses } from './processes.ts';
import type { Diagnostic } from '../../diag/diagnostic.ts';

export function composeImporter(fleetDir: string): ComposeImporter {
  const cache = new Map<string, { compose?: ComposeProject; diagnostics: Diagnostic[] }>();
  return (file, ctx) => {
    const abs = resolve(fleetDir, file);
    let read = cache.get(abs);
    if (!read) {
      read = readCompose(abs);
      cache.set(abs, read);
    }
    if (!read.compose) return { processes: [], volumes: [], diagnostics: read.diagnostics };
    const { processes, volumes, diagnostics } = composeToProcesses(read.compose, { ...ctx, fleetDir });
    return { processes, volumes, diagnostics: [...read.diagnostics, ...diagnostics] };
  };
}
