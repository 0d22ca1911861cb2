// Checks that need the normalized fleet: domains that are not host names or are claimed twice
// (after patterns expand) and `${app.process}` references in env values.
import type { Diagnostic } from '../diag/diagnostic.ts';
import { findInterpolationProblems } from '../model/interpolate.ts';
import type { Fleet } from './fleet.ts';
import type { YamlSource } from './yaml-source.ts';

export function postNormalizeDiagnostics(fleet: Fleet, src: YamlSource): Diagnostic[] {
  return [
    ...invalidDomains(fleet, src),
    ...duplicateDomains(fleet, src),
    ...findInterpolationProblems(fleet).map((d) => ({ ...d, pos: src.posOf(d.path.split('/')) })),
  ];
}

/** A DNS host name (letters, digits, inner hyphens per label), optionally a `*.` wildcard. */
const HOST_NAME = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Domains the proxy could not serve (found by the fuzzer: a NUL domain crashed the nginx renderer). */
function invalidDomains(fleet: Fleet, src: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const app of fleet.apps) {
    const explicit = src.doc.getIn(['apps', app.name, 'domains']) !== undefined;
    for (const env of app.environments) {
      const appEnv = app.perEnv[env];
      const claims: [string, (string | number)[]][] = (appEnv?.domains ?? []).map((d) => [
        d,
        explicit ? explicitDomainPath(src, app.name, env, d) : ['environments', env, 'domain'],
      ]);
      for (const p of appEnv?.processes ?? []) for (const d of p.domains ?? []) claims.push([d, ['apps', app.name, 'processes', p.name, 'domains']]);
      for (const [domain, path] of claims) {
        if (domain.length <= 253 && HOST_NAME.test(domain)) continue;
        const key = `${domain}\0${path.join('/')}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          severity: 'error',
          code: 'invalid-domain',
          path: path.join('/'),
          message: `domain ${JSON.stringify(domain.length > 80 ? `${domain.slice(0, 80)}…` : domain)} (${app.name} in ${env}) is not a host name`,
          hint: 'use letters, digits, hyphens and dots (api.example.com, optionally *.example.com); write an internationalised name in its xn-- form',
          pos: src.posOf(path),
        });
      }
    }
  }
  return out;
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
