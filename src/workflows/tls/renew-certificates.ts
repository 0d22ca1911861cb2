// `slipway certs [ENV] --renew`: obtains every Slipway-managed ACME certificate of the server (or
// of ENV's hosts) again now, whatever its expiry, under the locks of the environments concerned
// (audited as `certs-renew`), then reloads the proxy once. Certificates from secrets are
// re-read; Caddy's own are Caddy's to renew.
import { withEnvLocks } from '../env-lock-run.ts';
import type { ServerRun } from '../server-run.ts';
import { certNeeds } from './cert-needs.ts';
import { ensureCertificates, type CertificatesResult } from './ensure-certificates.ts';

export async function renewCertificates(run: ServerRun, opts: { env?: string; lockWaitS: number }): Promise<CertificatesResult> {
  const needs = certNeeds(run.state.routes, run.conn.server.proxy).filter((n) => opts.env === undefined || n.env === opts.env);
  if (needs.length === 0) return { server: run.conn.server.name, certificates: [], reloaded: false };
  const envs = [...new Set(needs.map((n) => n.env))];
  const command = `certs${opts.env ? ` ${opts.env}` : ''} --renew`;
  return withEnvLocks(run, envs, { command, action: 'certs-renew', lockWaitS: opts.lockWaitS }, async (locked) => {
    const r = await ensureCertificates(run, { forceRenew: new Set(needs.map((n) => n.host)) });
    locked.note({ detail: r.certificates.map((c) => `${c.host} ${c.action}`).join(', ') });
    return r;
  });
}
