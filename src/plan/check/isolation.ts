// Isolation between protected and other envs: a protected env sharing a server-scoped Postgres or
// Redis instance with a non-protected one (the seeds' "shared database" risk).
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

const WHY: Record<string, string> = {
  postgres: 'a bad {other} migration can lock {prot} tables, and a runaway {other} query starves {prot} of CPU, I/O and connections',
  redis: 'a runaway {other} job can fill the memory (evicting {prot} keys) or block the instance and starve {prot}; ACL users keep keys apart only by prefix',
};

export const checkSharedInstances: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const envOfNetwork = new Map(s.networks.filter((n) => n.purpose === 'private').map((n) => [n.name, n.env]));
    for (const c of s.containers) {
      if (c.role !== 'service' || c.env !== undefined || c.service === undefined) continue;
      const svc = fleet.services.find((x) => x.name === c.service);
      if (svc?.scope !== 'server' || WHY[svc.kind] === undefined) continue;
      const envs = [...new Set(c.networks.map((n) => envOfNetwork.get(n.network)).filter((e): e is string => e !== undefined))];
      const isProt = (e: string): boolean => fleet.environments.find((x) => x.name === e)?.protected === true;
      const prot = envs.filter(isProt);
      const other = envs.filter((e) => !isProt(e));
      if (prot.length === 0 || other.length === 0) continue;
      const why = WHY[svc.kind]!.replaceAll('{prot}', prot.join('/')).replaceAll('{other}', other.join('/'));
      out.push(
        finding({
          severity: 'warning',
          code: 'shared-instance-protected',
          server: s.server,
          subject: `${s.server}/${c.key}`,
          message: `${prot.join(', ')} (protected) shares ${svc.kind} instance ${c.name} on ${s.server} with ${other.join(', ')}: ${why}`,
          hint: `set \`scope: environment\` on service ${svc.name}, or move ${other.join(', ')} to another server`,
        }),
      );
    }
  }
  return out;
};
