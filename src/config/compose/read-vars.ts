// The variables a compose file is interpolated with, as docker compose finds them: the `.env`
// file beside the first compose file, or instead the env files slipway.yaml names (like
// `docker compose --env-file a --env-file b`: later files win, a missing one is an error). Values
// may use the variables defined above them. Slipway never reads the shell environment; variables
// the caller passes (tests) win over every file, as the shell would.
import { dirname, resolve } from 'node:path';
import type { Diagnostic, SourcePos } from '../../diag/diagnostic.ts';
import { parseEnvFile } from './env-file.ts';
import { interpolate } from './interpolate.ts';

export interface VarsOptions {
  /** The first compose file: its directory holds the default `.env`. */
  composeFile: string;
  /** Absolute paths of env files that replace the default `.env`. */
  envFiles?: readonly string[];
  vars?: Readonly<Record<string, string>>;
  read: (path: string) => string | undefined;
  /** Where slipway.yaml names the env files, for a missing one. */
  origin?: SourcePos;
}

export function projectVars(opts: VarsOptions, diags: Diagnostic[]): Record<string, string> {
  const out: Record<string, string> = {};
  const files = opts.envFiles ?? [resolve(dirname(opts.composeFile), '.env')];
  for (const file of files) {
    const text = opts.read(file);
    if (text === undefined) {
      if (opts.envFiles)
        diags.push({
          severity: 'error',
          code: 'env-file-not-found',
          path: 'compose/env_file',
          message: `env file ${file} not found`,
          hint: 'create it, or fix the path under compose: env_file: in slipway.yaml (paths are relative to slipway.yaml)',
          pos: opts.origin ?? { file, line: 1, col: 1 },
        });
      continue;
    }
    const parsed = parseEnvFile(text);
    for (const p of parsed.problems)
      diags.push({
        severity: 'warning',
        code: 'env-file-line',
        path: '',
        message: p.message,
        hint: 'use KEY=VALUE lines; # starts a comment',
        pos: { file, line: p.line, col: p.col },
      });
    for (const e of parsed.entries) {
      if (!e.interpolate) {
        out[e.key] = e.value;
        continue;
      }
      const r = interpolate(e.value, { ...out, ...opts.vars });
      for (const u of r.unresolved)
        diags.push({
          severity: u.kind === 'unset' ? 'warning' : 'error',
          code: u.kind === 'unset' ? 'unset-variable' : u.kind === 'required' ? 'required-variable' : 'bad-interpolation',
          path: e.key,
          message: `${e.key}: ${u.message}${u.kind === 'unset' ? ': it becomes an empty string, as in docker compose' : ''}`,
          hint: `define ${u.name} above this line`,
          pos: { file, line: e.line, col: 1 },
        });
      out[e.key] = r.value;
    }
  }
  return { ...out, ...opts.vars };
}
