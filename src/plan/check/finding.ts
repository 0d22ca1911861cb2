// Finding: one problem `check` sees in a fleet and its desired state. Codes are stable (scripts
// and CI match on them); messages are for humans and may change.
import type { Severity } from '../../diag/diagnostic.ts';

export interface Finding {
  severity: Severity;
  /** Stable kebab-case code, e.g. `memory-over-budget`. */
  code: FindingCode;
  message: string;
  server?: string;
  env?: string;
  app?: string;
  /** What it is about: a container/volume/network name, a domain, `app/env/process`, … */
  subject: string;
  hint?: string;
}

export const FINDING_CODES = [
  'duplicate-container-name',
  'duplicate-volume-name',
  'duplicate-network-name',
  'duplicate-alias',
  'duplicate-domain',
  'duplicate-host-port',
  'cross-env-reference',
  'cross-server-dependency',
  'cross-server-service',
  'singleton-replicas',
  'memory-over-budget',
  'missing-memory-limit',
  'server-memory-unknown',
  'shared-instance-protected',
  'protected-web-without-health',
  'route-without-auth',
  'rate-limit-unsupported',
  'privileged-container',
  'broad-capability',
  'oom-order',
  'docker-socket',
  'external-shared',
  'ambiguous-name',
  'redis-shared-keys',
  'tls-off-protected',
  'tls-unsupported',
  'tls-dns-no-zone',
  'dns-no-address',
  // check --live only (workflows/tls-live.ts)
  'dns-points-elsewhere',
  'dns-lookup-failed',
  'certificate-expiring',
  'certificate-missing',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Deterministic order: severity (errors first), code, subject, then server and message. */
export function sortFindings(fs: readonly Finding[]): Finding[] {
  const c = (a: string | undefined, b: string | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
  return [...fs].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || c(a.code, b.code) || c(a.subject, b.subject) || c(a.server, b.server) || c(a.message, b.message),
  );
}

/** Builds a finding without undefined optional fields (keeps JSON output and equality tidy). */
export function finding(f: Finding): Finding {
  const out = { ...f } as Record<string, unknown>;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as Finding;
}
