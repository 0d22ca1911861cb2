// load: slipway.yaml → Fleet, or every problem found, each with file:line:col, key path and hint.
// Never throws for bad user input.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hasErrors, type Diagnostic } from '../diag/diagnostic.ts';
import type { Fleet } from './fleet.ts';
import { normalize, type ComposeImporter } from './normalize.ts';
import { postNormalizeDiagnostics } from './post-normalize.ts';
import { fleetSchema, type RawFleet } from './schema.ts';
import { schemaDiagnostics } from './schema-diagnostics.ts';
import { semanticDiagnostics } from './semantic.ts';
import { YamlSource } from './yaml-source.ts';
import { composeImporter } from './compose/importer.ts';

export interface LoadResult {
  fleet?: Fleet;
  diagnostics: Diagnostic[];
  source?: YamlSource;
}

export interface LoadOptions {
  /** Text to parse instead of reading `file` (tests, stdin). */
  text?: string;
  importCompose?: ComposeImporter;
}

export function loadFleet(file: string, opts: LoadOptions = {}): LoadResult {
  let text = opts.text;
  if (text === undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        diagnostics: [
          {
            severity: 'error',
            code: 'file-not-found',
            path: '',
            message: code === 'ENOENT' ? `no fleet file at ${file}` : `cannot read ${file}: ${code ?? (e as Error).message}`,
            hint: code === 'ENOENT' ? 'run "slipway init" to write one, or pass --file PATH' : 'check the file permissions',
          },
        ],
      };
    }
  }
  const src = new YamlSource(file, text);
  const syntax = src.syntaxDiagnostics();
  if (hasErrors(syntax)) return { diagnostics: syntax, source: src };
  const js = src.toData();
  if ('diagnostic' in js) return { diagnostics: [js.diagnostic], source: src };
  const data = js.data;
  if (data === null || data === undefined) {
    return {
      diagnostics: [
        {
          severity: 'error',
          code: 'empty-file',
          path: '',
          message: `${file} is empty`,
          hint: 'start from examples/reference/slipway.yaml or run "slipway init"',
          pos: src.posAt(0),
        },
      ],
      source: src,
    };
  }
  const diagnostics = [...syntax, ...schemaDiagnostics(fleetSchema, data, src), ...semanticDiagnostics(data, src)];
  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics), source: src };
  const importCompose = opts.importCompose ?? composeImporter(dirname(resolve(file)));
  const fleet = normalize(data as RawFleet, { src, diagnostics, importCompose });
  diagnostics.push(...postNormalizeDiagnostics(fleet, src));
  return { fleet: hasErrors(diagnostics) ? undefined : fleet, diagnostics: sortDiagnostics(diagnostics), source: src };
}

export function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const unique = d.filter((x) => {
    const k = `${x.code}|${x.path}|${x.message}|${x.pos?.file}:${x.pos?.line}:${x.pos?.col}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return unique.sort(
    (a, b) =>
      (a.pos?.file ?? '').localeCompare(b.pos?.file ?? '') ||
      (a.pos?.line ?? 0) - (b.pos?.line ?? 0) ||
      (a.pos?.col ?? 0) - (b.pos?.col ?? 0) ||
      a.code.localeCompare(b.code),
  );
}
