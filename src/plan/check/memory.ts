// Memory: the limits on a server must fit in its memory minus headroom; every process should
// have a limit (one runaway worker otherwise OOMs its neighbours, prod included).
import type { ContainerSpec } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';
import { formatSize } from '../../util/size.ts';

const MiB = 1024 ** 2;

/** Memory kept free for the kernel, Docker and page cache: max(10%, 512MiB). */
export function headroom(serverMemory: number): number {
  return Math.max(Math.round(serverMemory * 0.1), 512 * MiB);
}

const owner = (c: ContainerSpec): string => (c.role === 'app' ? `${c.app}/${c.env}/${c.process}` : c.key);

export const checkMemoryBudget: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const server = fleet.servers.find((x) => x.name === s.server);
    const memory = server?.memory ?? s.budget.memory;
    if (memory === undefined) {
      out.push(
        finding({
          severity: 'info',
          code: 'server-memory-unknown',
          server: s.server,
          subject: s.server,
          message: `server ${s.server} has no memory size, so its memory budget is not checked`,
          hint: `set \`memory:\` on server ${s.server} (e.g. 8GiB)`,
        }),
      );
      continue;
    }
    const reserved = s.containers.reduce((sum, c) => sum + (c.memory ?? 0), 0);
    const room = headroom(memory);
    const available = memory - room;
    if (reserved <= available) continue;
    const byOwner = new Map<string, { mem: number; n: number }>();
    for (const c of s.containers) {
      if (c.memory === undefined) continue;
      const o = byOwner.get(owner(c)) ?? { mem: 0, n: 0 };
      byOwner.set(owner(c), { mem: o.mem + c.memory, n: o.n + 1 });
    }
    const top = [...byOwner.entries()]
      .sort((a, b) => b[1].mem - a[1].mem || (a[0] < b[0] ? -1 : 1))
      .slice(0, 3)
      .map(([k, v]) => `${k} ${formatSize(v.mem)}${v.n > 1 ? ` (${v.n}×${formatSize(v.mem / v.n)})` : ''}`);
    out.push(
      finding({
        severity: 'error',
        code: 'memory-over-budget',
        server: s.server,
        subject: s.server,
        message:
          `memory limits on ${s.server} add up to ${formatSize(reserved)}, more than the ${formatSize(available)} available ` +
          `(${formatSize(memory)} minus ${formatSize(room)} headroom); biggest: ${top.join(', ')}`,
        hint: 'lower some limits or replicas, or move an environment to another server',
      }),
    );
  }
  return out;
};

export const checkMissingMemoryLimit: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const s of desired.servers) {
    for (const c of s.containers) {
      if (c.memory !== undefined || c.role === 'proxy') continue;
      const subject = owner(c);
      if (seen.has(`${s.server} ${subject}`)) continue;
      seen.add(`${s.server} ${subject}`);
      const f: Finding = {
        severity: 'warning',
        code: 'missing-memory-limit',
        server: s.server,
        subject,
        message: `${subject} on ${s.server} has no memory limit: if it runs away, the kernel picks what to kill`,
        hint:
          c.role === 'app'
            ? `set \`memory:\` on process ${c.process} of ${c.app}, or \`limits.memory\` on environment ${c.env}`
            : `set \`memory:\` on service ${c.service}`,
      };
      if (c.env !== undefined) f.env = c.env;
      if (c.app !== undefined) f.app = c.app;
      out.push(finding(f));
    }
  }
  return out;
};
