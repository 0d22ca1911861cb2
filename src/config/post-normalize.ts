// Checks that need the normalized fleet: domains claimed twice (after patterns expand) and
// `${app.process}` references in env values.
import type { Diagnostic } from '../diag/diagnostic.ts';
import { findInterpolationProblems } from '../model/interpolate.ts';
import type { Fleet } from './fleet.ts';
import type { YamlSource } from './yaml-source.ts';

export function postNormalizeDiagnostics(fleet: Fleet, src: YamlSource): Diagnostic[] {
  return [...duplicateDomains(fleet, src), ...findInterpolationProblems(fleet).map((d) => ({ ...d, pos: src.posOf(d.path.split('/')) }))];
}

function duplicateDomains(fleet: Fleet, src: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const claimed = new Map<string, string>();
  for (const app of fleet.apps) {
    for (const env of app.environments) {
      for (const domain of app.perEnv[env]?.domains ?? []) {
        const owner = `${app.name} in ${env}`;
        const prev = claimed.get(domain);
        if (prev === undefined) {
          claimed.set(domain, owner);
          continue;
        }
        const explicit = src.doc.getIn(['apps', app.name, 'domains']) !== undefined;
        const path = explicit ? explicitDomainPath(src, app.name, env, domain) : ['environments', env, 'domain'];
        // A warning here (with its position): `check` turns it into an error finding, so a
        // broken fleet can still be checked for everything else at once.
        out.push({
          severity: 'warning',
          code: 'duplicate-domain',
          path: path.join('/'),
          message: `domain "${domain}" is claimed twice: by ${prev} and by ${owner}`,
          hint: explicit
            ? 'each domain routes to one app in one environment; remove one of the claims'
            : "include {app} (and {env}) in the environment's domain pattern, or set domains: on the app",
          pos: src.posOf(path),
        });
      }
    }
  }
  return out;
}

/** The most precise path to an explicit domain: the env's entry, then the list item. */
function explicitDomainPath(src: YamlSource, app: string, env: string, domain: string): (string | number)[] {
  const base: (string | number)[] = ['apps', app, 'domains'];
  const raw = src.doc.getIn(base);
  const js = (v: unknown) => (v && typeof v === 'object' && 'toJSON' in v ? (v as { toJSON(): unknown }).toJSON() : v);
  const domains = js(raw);
  const within = (p: (string | number)[], v: unknown): (string | number)[] => {
    if (Array.isArray(v)) {
      const i = v.indexOf(domain);
      return i >= 0 ? [...p, i] : p;
    }
    return p;
  };
  if (domains && typeof domains === 'object' && !Array.isArray(domains)) {
    const m = domains as Record<string, unknown>;
    const key = env in m ? env : 'default';
    return within([...base, key], m[key]);
  }
  return within(base, domains);
}
