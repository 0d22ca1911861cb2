// What a scheduled job does, through the same workflows as the CLI: `slipway backup ENV`
// (runBackup), `slipway backup verify --latest ENV` (verifyBackup, the drill) and a certificate
// renewal of one server (`slipway certs --renew`'s locks and audit around the certificate step
// that `up` runs: only certificates due for renewal are obtained again, so a daily schedule never
// asks the CA for a certificate that is still fresh). Each run opens its own fleet session on the
// one server concerned and closes it. The workflows load on first use (age, the S3 client, the
// ACME client are not needed by an idle control plane).
import type { Fleet } from '../../config/fleet.ts';
import { UserError } from '../../diag/errors.ts';
import { runFor } from '../../workflows/fleet-session.ts';
import type { PartSessions } from '../ops-data/part-sessions.ts';
import type { ScheduledWork } from './jobs.ts';

export interface WorkDeps {
  sessions: PartSessions;
  /** Where the age identity for drills comes from (SLIPWAY_AGE_KEY…), as for the CLI. */
  env: Record<string, string | undefined>;
  cwd: string;
  /** `--identity FILE` given to serve. */
  identity?: string;
  /** Seconds a scheduled run waits for a deploy holding the environment's lock. */
  lockWaitS: number;
  /** Aborted when serve stops: a drill under way removes its throwaway containers. */
  signal?: AbortSignal;
}

/** Runs one job's work on the fleet; resolves to a one-line summary, throws when the work failed. */
export async function runWork(deps: WorkDeps, fleet: Fleet, work: ScheduledWork): Promise<string> {
  switch (work.kind) {
    case 'backup': {
      const env = envOf(fleet, work.env);
      const { runBackup } = await import('../../workflows/backup/run-backup.ts');
      const r = await deps.sessions(fleet, [env.server], {}, (s) => runBackup(s, { env: env.name, lockWaitS: deps.lockWaitS }));
      return `backup ${r.record.id} ${r.record.status} (${r.record.bytes} bytes)`;
    }
    case 'backup-verify': {
      const env = envOf(fleet, work.env);
      const { verifyBackup } = await import('../../workflows/backup/verify.ts');
      const r = await deps.sessions(fleet, [env.server], {}, (s) =>
        verifyBackup(s, {
          env: env.name,
          identity: { env: deps.env, cwd: deps.cwd, ...(deps.identity ? { identityFile: deps.identity } : {}) },
          ...(deps.signal ? { signal: deps.signal } : {}),
        }),
      );
      return `backup ${r.id} verified ${r.result} from ${r.destination}`;
    }
    case 'cert-renewal': {
      if (!fleet.servers.some((s) => s.name === work.server))
        throw new UserError(`server ${work.server} is no longer in the fleet`, 'restart slipway serve to schedule the fleet file as it is');
      const [{ certNeeds }, { ensureCertificates }, { withEnvLocks }] = await Promise.all([
        import('../../workflows/tls/cert-needs.ts'),
        import('../../workflows/tls/ensure-certificates.ts'),
        import('../../workflows/env-lock-run.ts'),
      ]);
      return deps.sessions(fleet, [work.server], {}, async (s) => {
        const run = runFor(s, work.server);
        const needs = certNeeds(run.state.routes, run.conn.server.proxy);
        if (needs.length === 0) return 'no Slipway-managed certificate on this server';
        const envs = [...new Set(needs.map((n) => n.env))];
        const r = await withEnvLocks(
          run,
          envs,
          { command: 'certs --renew (scheduled, due only)', action: 'certs-renew', lockWaitS: deps.lockWaitS },
          async (locked) => {
            const out = await ensureCertificates(run);
            locked.note({ detail: out.certificates.map((c) => `${c.host} ${c.action}`).join(', ') });
            return out;
          },
        );
        const count = (a: string) => r.certificates.filter((c) => c.action === a).length;
        return `${r.certificates.length} certificate(s): ${count('renewed') + count('obtained')} renewed, ${count('current')} current`;
      });
    }
  }
}

function envOf(fleet: Fleet, name: string) {
  const env = fleet.environments.find((e) => e.name === name);
  if (!env) throw new UserError(`environment ${name} is no longer in the fleet`, 'restart slipway serve to schedule the fleet file as it is');
  return env;
}
