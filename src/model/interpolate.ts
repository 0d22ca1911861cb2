// Interpolation of env var values: `${other_app.process}` becomes that process's alias in the
// same environment (`{other_app}-{env}-{process}`); `${env}`, `${project}` and `${app}` are the
// obvious names. `$${` is a literal `${`. Unknown references are reported as diagnostics by
// `findInterpolationProblems` (the loader calls it); `interpolate` leaves them untouched.
import type { Diagnostic } from '../diag/diagnostic.ts';
import type { EnvValue, Fleet } from '../config/fleet.ts';
import { processAlias } from './names.ts';

export interface InterpolationContext {
  fleet: Fleet;
  env: string;
  app: string;
}

const REF = /\$(\$?)\{([^}]*)\}/g;

/** The references (`x` of each `${x}`) in a value, in order, escapes excluded. */
export function references(value: string): string[] {
  const out: string[] = [];
  for (const m of value.matchAll(REF)) if (m[1] === '') out.push((m[2] ?? '').trim());
  return out;
}

/** The target of a `${app.process}` reference, or undefined when it is not of that form. */
export function parseProcessRef(ref: string): { app: string; process: string } | undefined {
  const m = /^([^.\s]+)\.([^.\s]+)$/.exec(ref);
  return m ? { app: m[1]!, process: m[2]! } : undefined;
}

/** The text a reference stands for in this context, or undefined when unknown. */
export function resolveReference(ref: string, ctx: InterpolationContext): string | undefined {
  if (ref === 'env') return ctx.env;
  if (ref === 'project') return ctx.fleet.project;
  if (ref === 'app') return ctx.app;
  const pr = parseProcessRef(ref);
  if (!pr) return undefined;
  const target = ctx.fleet.apps.find((a) => a.name === pr.app)?.perEnv[ctx.env];
  if (!target?.processes.some((p) => p.name === pr.process)) return undefined;
  return processAlias(pr.app, ctx.env, pr.process);
}

/** Replaces every known reference; unknown ones stay as written. */
export function interpolate(value: string, ctx: InterpolationContext): string {
  return value.replace(REF, (whole, esc: string, ref: string) => {
    if (esc !== '') return whole.slice(1);
    return resolveReference(ref.trim(), ctx) ?? whole;
  });
}

export function interpolateEnvValue(v: EnvValue, ctx: InterpolationContext): EnvValue {
  return v.kind === 'plain' ? { kind: 'plain', value: interpolate(v.value, ctx) } : v;
}

/** Every valid reference in one env, for hints. */
export function validReferences(fleet: Fleet, env: string): string[] {
  const out = ['${env}', '${project}', '${app}'];
  for (const a of fleet.apps) {
    const ae = a.perEnv[env];
    if (ae) for (const p of ae.processes) out.push(`\${${a.name}.${p.name}}`);
  }
  return out;
}

/** Process references (`${app.process}`) an app makes in one env, resolved or not. */
export function processReferences(fleet: Fleet, app: string, env: string): { app: string; process: string; key: string }[] {
  const ae = fleet.apps.find((a) => a.name === app)?.perEnv[env];
  if (!ae) return [];
  const out: { app: string; process: string; key: string }[] = [];
  const scan = (key: string, v: EnvValue): void => {
    if (v.kind !== 'plain') return;
    for (const r of references(v.value)) {
      const pr = parseProcessRef(r);
      if (pr) out.push({ ...pr, key });
    }
  };
  for (const [k, v] of Object.entries(ae.env_vars)) scan(k, v);
  for (const p of ae.processes) for (const [k, v] of Object.entries(p.env)) scan(k, v);
  return out;
}

/** One `unknown-reference` error per (env var, reference), naming the envs where it fails. */
export function findInterpolationProblems(fleet: Fleet): Diagnostic[] {
  interface Problem {
    path: string;
    key: string;
    ref: string;
    envs: string[];
    allEnvs: number;
    pos?: Diagnostic['pos'];
  }
  const problems = new Map<string, Problem>();
  for (const app of fleet.apps) {
    const envs = app.environments.filter((e) => app.perEnv[e]);
    for (const env of envs) {
      const ae = app.perEnv[env]!;
      const ctx: InterpolationContext = { fleet, env, app: app.name };
      const scan = (path: string, key: string, v: EnvValue, pos: Diagnostic['pos']): void => {
        if (v.kind !== 'plain') return;
        for (const ref of references(v.value)) {
          if (resolveReference(ref, ctx) !== undefined) continue;
          const id = `${path}\u0000${ref}`;
          const pb = problems.get(id) ?? { path, key, ref, envs: [], allEnvs: envs.length, pos };
          pb.envs.push(env);
          problems.set(id, pb);
        }
      };
      for (const [k, v] of Object.entries(ae.env_vars)) scan(`apps/${app.name}/env/${k}`, k, v, app.pos);
      for (const p of ae.processes) {
        for (const [k, v] of Object.entries(p.env)) scan(`apps/${app.name}/processes/${p.name}/env/${k}`, k, v, p.pos ?? app.pos);
      }
    }
  }
  return [...problems.values()].map((pb) => {
    const where = pb.envs.length < pb.allEnvs ? ` in environment${pb.envs.length > 1 ? 's' : ''} ${pb.envs.join(', ')}` : '';
    const d: Diagnostic = {
      severity: 'error',
      code: 'unknown-reference',
      path: pb.path,
      message: `unknown reference \${${pb.ref}} in ${pb.key}${where}`,
      hint: `valid references: ${validReferences(fleet, pb.envs[0]!).join(', ')}`,
    };
    if (pb.pos) d.pos = pb.pos;
    return d;
  });
}
