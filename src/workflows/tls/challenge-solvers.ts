// The two ways Slipway answers an ACME challenge: HTTP-01 through the running proxy's webroot
// (nginx serves /.well-known/acme-challenge/ from the data volume), and DNS-01 through the zone's
// DNS provider (`_acme-challenge.<host>` TXT, removed afterwards), which works wherever the
// name's A record points.
import type { DockerEngine } from '../../engine/docker-engine.ts';
import type { ChallengeSolver } from './acme-order.ts';
import { placeHttpToken, removeHttpToken } from './proxy-certs.ts';

export function httpSolver(engine: DockerEngine, proxy: string): ChallengeSolver {
  return {
    type: 'http-01',
    place: (_host, token, value) => placeHttpToken(engine, proxy, token, value),
    remove: (_host, token) => removeHttpToken(engine, proxy, token),
  };
}

/** What DNS-01 needs of a DNS provider (src/dns/provider.ts's DnsProvider). */
export interface TxtWriter {
  lookup(names: readonly string[], types: readonly 'TXT'[]): Promise<{ name: string; type: string; values: string[] }[]>;
  replace(name: string, type: 'TXT', ttl: number, values: readonly string[]): Promise<void>;
}

export const challengeName = (host: string): string => `_acme-challenge.${host.replace(/^\*\./, '')}`;

/**
 * DNS-01 through `provider`. Values are added to (and removed from) the record set as it stands,
 * so a name and its wildcard, or two runs, do not wipe each other's; the TTL is short (60 s).
 */
export function dnsSolver(provider: TxtWriter, ttl = 60): ChallengeSolver {
  const current = async (name: string) => (await provider.lookup([name], ['TXT'])).find((r) => r.type === 'TXT' && r.name === name)?.values ?? [];
  return {
    type: 'dns-01',
    async place(host, _token, value) {
      const name = challengeName(host);
      const values = new Set(await current(name));
      values.add(value);
      await provider.replace(name, 'TXT', ttl, [...values].sort());
    },
    async remove(host, _token, value) {
      const name = challengeName(host);
      const values = (await current(name)).filter((v) => v !== value);
      await provider.replace(name, 'TXT', ttl, values);
    },
  };
}
