// Container settings that weaken the server's protection: privileged containers and broad
// capabilities (root on the host in all but name), and OOM scores that would let the kernel kill
// a protected environment before a non-protected one on the same server.
import { envScope } from '../../config/container-defaults.ts';
import type { ContainerSpec } from '../desire/desired.ts';
import type { CheckRule } from './context.ts';
import { finding, type Finding } from './finding.ts';

const owner = (c: ContainerSpec): string => (c.role === 'app' ? `${c.app}/${c.env}/${c.process}` : c.key);
const where = (c: ContainerSpec): string => (c.role === 'app' ? `apps/${c.app}/processes/${c.process}` : c.service ? `services/${c.service}` : c.key);

// Capabilities that give a container the host: every capability, or mount/namespace/module admin.
const BROAD_CAPS = new Set(['ALL', 'SYS_ADMIN', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_PTRACE', 'DAC_READ_SEARCH']);

export const checkPrivileged: CheckRule = ({ desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const seen = new Set<string>();
    for (const c of s.containers) {
      const who = owner(c);
      if (seen.has(who)) continue; // one finding per process, not per replica
      seen.add(who);
      const base = { server: s.server, subject: who, ...(c.env ? { env: c.env } : {}), ...(c.app ? { app: c.app } : {}) };
      if (c.privileged) {
        out.push(
          finding({
            ...base,
            severity: 'warning',
            code: 'privileged-container',
            message: `${who} runs privileged on ${s.server}: it can reach every device and the host's kernel, so whoever controls it controls the server and every other environment on it`,
            hint: `remove privileged: true from ${where(c)}; grant what it needs with cap_add or devices instead`,
          }),
        );
        continue;
      }
      const broad = (c.capAdd ?? []).filter((cap) => BROAD_CAPS.has(cap));
      if (broad.length > 0)
        out.push(
          finding({
            ...base,
            severity: 'warning',
            code: 'broad-capability',
            message: `${who} adds ${broad.join(', ')} on ${s.server}: ${broad.includes('ALL') ? 'every capability' : 'a capability'} that lets it escape to the host`,
            hint: `drop ${broad.join(', ')} from cap_add in ${where(c)}, and add only the narrow capabilities it needs`,
          }),
        );
    }
  }
  return out;
};

/** A protected environment must not be killed first: its OOM score must be below every unprotected one's on its server. */
export const checkOomOrder: CheckRule = ({ fleet, desired }) => {
  const out: Finding[] = [];
  for (const s of desired.servers) {
    const envs = [...new Set(s.containers.filter((c) => c.role === 'app' && c.env !== undefined).map((c) => c.env!))];
    const scored = fleet.environments.filter((e) => envs.includes(e.name)).map((e) => ({ env: e, score: envScope(e).oomScoreAdj }));
    for (const p of scored.filter((x) => x.env.protected)) {
      const worse = scored.filter((x) => !x.env.protected && x.score <= p.score);
      if (worse.length === 0) continue;
      out.push(
        finding({
          severity: 'warning',
          code: 'oom-order',
          server: s.server,
          env: p.env.name,
          subject: `${s.server}/${p.env.name}`,
          message: `${p.env.name} (protected) has OOM score ${p.score} on ${s.server}, not below ${worse.map((w) => `${w.env.name} (${w.score})`).join(', ')}: under memory pressure the kernel may kill ${p.env.name} first`,
          hint: `lower oom_score_adj of environment ${p.env.name}, or raise it for ${worse.map((w) => w.env.name).join(', ')}`,
        }),
      );
    }
  }
  return out;
};
