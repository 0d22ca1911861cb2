// Which alert conditions hold in one observation: a pure function of the observation, the rules,
// the time and each container's last restart. Each condition has a stable key (one alert per
// server, container, environment or certificate), the part of the observation it came from, a
// title that names it (stable while it holds) and a detail with the current figures.
import { formatSize } from '../../util/size.ts';
import type { AlertRuleName, AlertRules, AlertSeverity } from './alert-rules.ts';
import { RULE_SEVERITY } from './alert-rules.ts';
import type { Observation, ObservationPart } from './observation.ts';

export interface AlertCondition {
  key: string;
  rule: AlertRuleName;
  severity: AlertSeverity;
  part: ObservationPart;
  labels: Record<string, string>;
  /** What the alert is, e.g. "memory above 80 % on vps1". */
  title: string;
  /** The figures now, e.g. "85 % used (3.4GiB of 4GiB)". */
  detail: string;
  /** How long the condition must hold, over consecutive observations, before it fires. */
  forMs: number;
}

/** A short span: "45 s", "5 min", "3 h", "2 d". */
export function formatSpan(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

const percent = (used: number, total: number): number | undefined => (total > 0 && Number.isFinite(used) ? (used / total) * 100 : undefined);
const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The key of a container for restart tracking and its alerts. */
export const containerKey = (c: { server: string; container: string }): string => `${c.server}/${c.container}`;

function condition(rule: AlertRuleName, id: string, part: ObservationPart, c: Omit<AlertCondition, 'key' | 'rule' | 'severity' | 'part'>): AlertCondition {
  return { key: `${rule}:${id}`, rule, severity: RULE_SEVERITY[rule], part, ...c };
}

/**
 * The conditions that hold now. `lastRestartAt` gives when a container's restart count last went
 * up (as the evaluator saw it), or undefined.
 */
export function alertConditions(obs: Observation, rules: AlertRules, now: number, lastRestartAt: (key: string) => number | undefined): AlertCondition[] {
  const out: AlertCondition[] = [];

  for (const s of obs.servers ?? []) {
    const mem = percent(s.memoryUsedBytes, s.memoryTotalBytes);
    const r = rules.serverMemory;
    if (r.enabled && mem !== undefined && mem > r.abovePercent) {
      out.push(
        condition('server-memory', s.server, 'servers', {
          labels: { server: s.server },
          title: `memory above ${r.abovePercent} % on ${s.server}`,
          detail: `${round1(mem)} % used (${formatSize(s.memoryUsedBytes)} of ${formatSize(s.memoryTotalBytes)})`,
          forMs: r.forMs,
        }),
      );
    }
    const disk = percent(s.diskUsedBytes, s.diskTotalBytes);
    const d = rules.serverDisk;
    if (d.enabled && disk !== undefined && disk > d.abovePercent) {
      out.push(
        condition('server-disk', s.server, 'servers', {
          labels: { server: s.server },
          title: `disk above ${d.abovePercent} % on ${s.server}`,
          detail: `${round1(disk)} % used (${formatSize(s.diskUsedBytes)} of ${formatSize(s.diskTotalBytes)}) on the Docker root`,
          forMs: d.forMs,
        }),
      );
    }
  }

  for (const c of obs.containers ?? []) {
    const labels = { server: c.server, project: c.project, env: c.env, app: c.app, process: c.process, container: c.container };
    const where = `${c.app} ${c.process} in ${c.env} on ${c.server} (${c.container})`;
    const restartedAt = lastRestartAt(containerKey(c));
    const cm = rules.containerMemory;
    const used = c.memoryLimitBytes ? percent(c.memoryBytes, c.memoryLimitBytes) : undefined;
    if (cm.enabled && used !== undefined && used > cm.abovePercent) {
      out.push(
        condition('container-memory', containerKey(c), 'containers', {
          labels,
          title: `memory of ${where} above ${cm.abovePercent} % of its limit`,
          detail: `${round1(used)} % of its limit used (${formatSize(c.memoryBytes)} of ${formatSize(c.memoryLimitBytes ?? 0)})`,
          forMs: cm.forMs,
        }),
      );
    }
    const rr = rules.containerRestarting;
    if (rr.enabled && restartedAt !== undefined && now - restartedAt < rr.windowMs) {
      out.push(
        condition('container-restarting', containerKey(c), 'containers', {
          labels,
          title: `${where} is restarting`,
          detail: `${c.restarts} restart(s) so far, the last one seen ${formatSpan(now - restartedAt)} ago`,
          forMs: 0,
        }),
      );
    }
    const ur = rules.containerUnhealthy;
    if (ur.enabled && c.health === 'unhealthy') {
      out.push(
        condition('container-unhealthy', containerKey(c), 'containers', {
          labels,
          title: `${where} is unhealthy`,
          detail: 'its health check fails',
          forMs: ur.forMs,
        }),
      );
    }
  }

  for (const b of obs.backups ?? []) {
    const br = rules.backupStale;
    const rpo = br.rpoMs[b.env] ?? br.defaultRpoMs;
    if (br.enabled && rpo !== undefined) {
      const age = b.lastGoodAt === undefined ? undefined : now - b.lastGoodAt;
      if (age === undefined || age > rpo) {
        out.push(
          condition('backup-stale', b.env, 'backups', {
            labels: { env: b.env },
            title: `the last good backup of ${b.env} is older than its RPO of ${formatSpan(rpo)}`,
            detail: age === undefined ? 'there is no good backup at all' : `the last good backup finished ${formatSpan(age)} ago`,
            forMs: 0,
          }),
        );
      }
    }
    if (rules.drillFailed.enabled && b.lastVerifyAt !== undefined && b.lastVerifyOk === false) {
      out.push(
        condition('drill-failed', b.env, 'backups', {
          labels: { env: b.env },
          title: `the last restore drill of ${b.env} failed`,
          detail: `\`slipway backup verify\` failed ${formatSpan(now - b.lastVerifyAt)} ago`,
          forMs: 0,
        }),
      );
    }
  }

  for (const cert of obs.certificates ?? []) {
    const cr = rules.certificateExpiry;
    const left = cert.notAfter - now;
    if (cr.enabled && left < cr.withinMs) {
      out.push(
        condition('certificate-expiry', `${cert.server}/${cert.domain}`, 'certificates', {
          labels: { server: cert.server, domain: cert.domain },
          title: `the certificate of ${cert.domain} on ${cert.server} expires within ${formatSpan(cr.withinMs)}`,
          detail: left > 0 ? `it expires in ${formatSpan(left)}, on ${new Date(cert.notAfter).toISOString()}` : `it expired ${formatSpan(left)} ago`,
          forMs: 0,
        }),
      );
    }
  }
  return out;
}
