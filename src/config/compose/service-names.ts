// What a compose service is called and where it can be reached, as compose resolves it:
// - the names each service answers to (its name, container_name, hostname, network aliases and
//   the names `links` give it), which become aliases on the app's own networks;
// - the networks each service joins (`default` when it lists none): internal ones stay internal,
//   external ones keep their name. An external network that only serves a reverse proxy (a
//   service on it carries traefik/caddy routing labels, or its name says traefik/proxy/caddy) is
//   replaced by Slipway's proxy: it becomes a network of the app per environment like the others,
//   so its services still reach each other, and environments never meet on it.
import type { Diagnostic } from '../../diag/diagnostic.ts';
import type { ProcessNetwork } from '../fleet.ts';
import type { ComposeProject, ComposeService } from './types.ts';

/** A name DNS can carry (what Docker accepts as a network alias): labels of 1–63 letters, digits, `_` or `-`, 253 characters at most. */
export function isHostName(name: string): boolean {
  return name.length <= 253 && name.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

const shown = (name: string): string => (name.length > 80 ? `${name.slice(0, 40)}…(${name.length} characters)` : name);

/**
 * The names each service answers to: its own name, then its container_name, hostname and network
 * aliases, then the names `links` give it. A name already taken by another service stays with the
 * first (a service's own name always wins), with a warning.
 */
export function serviceNames(compose: ComposeProject): { names: Map<string, string[]>; diagnostics: Diagnostic[] } {
  const names = new Map<string, string[]>(compose.services.map((s) => [s.name, [s.name]]));
  const owner = new Map<string, string>(compose.services.map((s) => [s.name, s.name]));
  const diagnostics: Diagnostic[] = [];
  const claim = (service: string, name: string, how: string, s: ComposeService) => {
    const had = owner.get(name);
    if (had === service) return;
    if (name === '') return; // `hostname: ""` (an unset variable) names nothing, as in compose
    if (!isHostName(name)) {
      diagnostics.push({
        severity: 'warning',
        code: 'bad-alias',
        path: `services/${s.name}`,
        message: `${how} "${shown(name)}" of service "${service}" is not a valid host name: it is not used as a network alias`,
        hint: 'a host name is at most 253 characters, in dot-separated labels of at most 63 letters, digits, "_" or "-"',
        pos: s.pos,
      });
      return;
    }
    if (had !== undefined) {
      diagnostics.push({
        severity: 'warning',
        code: 'name-taken',
        path: `services/${s.name}`,
        message: `${how} "${name}" would also name service "${service}", but "${name}" already resolves to service "${had}": it stays with "${had}"`,
        hint: 'give each service names of its own',
        pos: s.pos,
      });
      return;
    }
    owner.set(name, service);
    names.get(service)!.push(name);
  };
  for (const s of compose.services) for (const h of s.hostAliases) claim(s.name, h, 'the alias', s);
  for (const s of compose.services)
    for (const l of s.links ?? []) {
      if (!names.has(l.service)) {
        diagnostics.push({
          severity: 'warning',
          code: 'unknown-link',
          path: `services/${s.name}/links`,
          message: `service "${s.name}" links to "${l.service}", which is not defined`,
          hint: `define a service "${l.service}" or remove the link`,
          pos: s.pos,
        });
        continue;
      }
      if (l.alias !== undefined) claim(l.service, l.alias, `the link alias of "${s.name}"`, s);
    }
  return { names, diagnostics };
}

/** The services a service links to that exist (a link is also a dependency, as in compose). */
export function linkedServices(s: ComposeService, compose: ComposeProject): string[] {
  return (s.links ?? []).map((l) => l.service).filter((d) => compose.services.some((x) => x.name === d));
}

const PROXY_NAME = /traefik|proxy|caddy/i;
const PROXY_LABEL = /^(traefik\.|caddy($|[._]))/;

/** The networks of each service, and a note per external network on what becomes of it. */
export function composeNetworks(compose: ComposeProject): { of: (s: ComposeService) => ProcessNetwork[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const joined = (s: ComposeService): string[] => (s.networks.length > 0 ? [...new Set(s.networks)] : ['default']);
  const replaced = new Set<string>();
  for (const [name, set] of Object.entries(compose.networkSettings ?? {})) {
    if (set.external === undefined) continue;
    const members = compose.services.filter((s) => joined(s).includes(name));
    const routing = PROXY_NAME.test(name) || PROXY_NAME.test(set.external) || members.some((s) => Object.keys(s.labels).some((k) => PROXY_LABEL.test(k)));
    if (routing) replaced.add(name);
    diagnostics.push({
      severity: 'info',
      code: 'external-network',
      path: `networks/${name}`,
      message: routing
        ? `external network "${name}" serves a reverse proxy, which Slipway's proxy replaces: it becomes a network of the app in each environment, not ${set.external} itself`
        : `external network "${name}" is joined by its own name ${set.external} in every environment: Slipway never creates or deletes it, and environments that join it can reach each other on it`,
      hint: routing
        ? 'routing labels (e.g. traefik) are replaced by the domains in slipway.yaml'
        : `it must exist on each server (docker network create ${set.external}); drop "external" to get one network per environment`,
      pos: set.pos ?? members[0]?.pos ?? { file: compose.file, line: 1, col: 1 },
    });
  }
  const of = (s: ComposeService): ProcessNetwork[] =>
    joined(s).map((name) => {
      const set = compose.networkSettings?.[name];
      const n: ProcessNetwork = { name, internal: set?.internal === true };
      if (set?.external !== undefined && !replaced.has(name)) n.external = set.external;
      return n;
    });
  return { of, diagnostics };
}
