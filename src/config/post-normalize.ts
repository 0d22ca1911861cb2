// Checks that need the normalized fleet: domains claimed twice (after patterns expand) and
// `${app.process}` references in env values.
import type { Diagnostic } from '../diag/diagnostic.ts';
import { findInterpolationProblems } from '../plan/interpolate.ts';
import type { Fleet } from './fleet.ts';
import type { YamlSource } from './yaml-source.ts';

export function postNormalizeDiagnostics(fleet: Fleet, src: YamlSource): Diagnostic[] {
  return [...duplicateDomains(fleet, src), ...findInterpolationProblems(fleet).map((d) => ({ ...d, pos: d.pos ?? src.posOf(d.path.split('/')) }))];
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
        const path = explicit ? ['apps', app.name, 'domains'] : ['environments', env, 'domain'];
        out.push({
          severity: 'error',
          code: 'duplicate-domain',
          path: path.join('/'),
          message: `domain "${domain}" is claimed twice: by ${prev} and by ${owner}`,
          hint: explicit ? 'each domain routes to one app in one environment; remove one of the claims' : 'include {app} (and {env}) in the environment\'s domain pattern, or set domains: on the app',
          pos: src.posOf(path),
        });
      }
    }
  }
  return out;
}
