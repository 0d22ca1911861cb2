// Names that cross what they should not:
// - an external network or volume (compose `external: true`) used by two environments on one
//   server: on a network their containers can reach each other, on a volume they share data;
// - a name a container resolves to two different things on its networks (a compose service
//   `redis` on the app's network and the shared service `redis` on the env network): Docker's DNS
//   answers with either.
import type { ContainerSpec } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

export const checkSharedExternals: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const byName = new Map<string, { type: 'network' | 'volume'; name: string; envs: Set<string>; apps: Set<string> }>();
    for (const x of s.externals ?? []) {
      const k = `${x.type} ${x.name}`;
      const g = byName.get(k) ?? { type: x.type, name: x.name, envs: new Set<string>(), apps: new Set<string>() };
      g.envs.add(x.env);
      g.apps.add(x.app);
      byName.set(k, g);
    }
    for (const g of byName.values()) {
      if (g.envs.size < 2) continue;
      const envs = [...g.envs].sort();
      const apps = [...g.apps].sort();
      out.push(
        finding({
          severity: 'warning',
          code: 'external-shared',
          server: s.server,
          subject: `${s.server}/${g.name}`,
          message:
            g.type === 'volume'
              ? `external volume ${g.name} on ${s.server} is mounted by ${envs.join(' and ')} (${apps.join(', ')}): the environments share its data`
              : `external network ${g.name} on ${s.server} is joined by ${envs.join(' and ')} (${apps.join(', ')}): their containers can reach each other on it`,
          hint: `drop "external: true" for ${g.name} in the compose file to get one per environment, or name a different one per environment (compose: { environments: { ENV: { files: [...] } } })`,
        }),
      );
    }
  }
  return out;
};

const owner = (c: ContainerSpec): string => (c.role === 'app' ? `${c.app}/${c.env}/${c.process}` : c.key);

export const checkAmbiguousNames: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    // network -> alias -> owners
    const answers = new Map<string, Map<string, Set<string>>>();
    for (const c of s.containers)
      for (const n of c.networks) {
        const m = answers.get(n.network) ?? new Map<string, Set<string>>();
        for (const a of n.aliases) m.set(a, (m.get(a) ?? new Set()).add(owner(c)));
        answers.set(n.network, m);
      }
    const seen = new Map<string, { alias: string; where: string[]; who: Set<string> }>();
    for (const c of s.containers) {
      const found = new Map<string, Map<string, string>>(); // alias -> owner -> network
      for (const n of c.networks)
        for (const [alias, owners] of answers.get(n.network) ?? [])
          for (const o of owners) {
            const m = found.get(alias) ?? new Map<string, string>();
            if (!m.has(o)) m.set(o, n.network);
            found.set(alias, m);
          }
      for (const [alias, owners] of found) {
        if (owners.size < 2) continue;
        // Two owners on one network is a duplicate alias (duplicates.ts), reported there.
        if (c.networks.some((n) => (answers.get(n.network)?.get(alias)?.size ?? 0) > 1)) continue;
        const where = [...owners].sort(([a], [b]) => (a < b ? -1 : 1)).map(([o, net]) => `${o} (network ${net})`);
        const k = `${alias} ${where.join(' ')}`;
        const g = seen.get(k) ?? { alias, where, who: new Set<string>() };
        g.who.add(owner(c));
        seen.set(k, g);
      }
    }
    for (const g of seen.values()) {
      const who = [...g.who].sort();
      out.push(
        finding({
          severity: 'warning',
          code: 'ambiguous-name',
          server: s.server,
          subject: `${s.server}/${g.alias}`,
          message: `the name ${g.alias} means two things to ${who.join(', ')} on ${s.server}: ${g.where.join(' and ')}; Docker's DNS answers with either`,
          hint: `rename one of them (the compose service or the shared service), or call it by its unique name ({app}-{env}-{process})`,
        }),
      );
    }
  }
  return out;
};
