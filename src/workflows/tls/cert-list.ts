// `slipway certs`: the certificates each server's proxy serves, with their names, issuer, expiry
// and where they come from: obtained by Slipway (ACME) or loaded from secrets (`files`), from the
// server's state; obtained by Caddy itself (HTTP-01), read from Caddy's storage in the proxy
// container (/data/caddy/certificates/<issuer>/<host>/<host>.crt).
import { isNotFound } from '../../engine/engine-errors.ts';
import { unpackTar } from '../../engine/tar.ts';
import { proxySpec } from '../proxy.ts';
import type { ServerRun } from '../server-run.ts';
import { certInfo, daysLeft } from './cert-info.ts';
import { listCerts } from './cert-store.ts';

export type CertListSource = 'slipway acme' | 'files' | 'caddy';

export interface CertRow {
  server: string;
  host: string;
  /** The environment whose route names the host (absent: no route names it any more). */
  env?: string;
  domains: string[];
  issuer: string;
  serial: string;
  notAfter: string;
  daysLeft: number;
  challenge: 'http' | 'dns' | null;
  source: CertListSource;
}

const CADDY_CERTS = '/data/caddy/certificates';

export async function listCertificates(run: ServerRun, envFilter?: string): Promise<CertRow[]> {
  const server = run.conn.server.name;
  const envOf = new Map<string, string>();
  for (const r of run.state.routes) if (!envOf.has(r.host)) envOf.set(r.host, r.env);
  const now = run.now();
  const rows: CertRow[] = [];
  for (const rec of await listCerts(run.store)) {
    const env = envOf.get(rec.host);
    rows.push({
      server,
      host: rec.host,
      ...(env ? { env } : {}),
      domains: rec.domains,
      issuer: rec.issuer,
      serial: rec.serial,
      notAfter: rec.notAfter,
      daysLeft: daysLeft(rec.notAfter, now),
      challenge: rec.challenge ?? null,
      source: rec.source === 'files' ? 'files' : 'slipway acme',
    });
  }
  if (run.conn.server.proxy === 'caddy') rows.push(...(await caddyCertificates(run, envOf, now)));
  return rows.filter((r) => envFilter === undefined || r.env === envFilter).sort((a, b) => a.host.localeCompare(b.host) || a.source.localeCompare(b.source));
}

/** What Caddy obtained by itself, from its storage in the running proxy (none when it has none or does not run). */
async function caddyCertificates(run: ServerRun, envOf: Map<string, string>, now: number): Promise<CertRow[]> {
  const spec = proxySpec(run);
  if (!spec) return [];
  let entries: Awaited<ReturnType<typeof unpackTar>>;
  try {
    entries = await unpackTar(await run.conn.engine.getArchive(spec.name, CADDY_CERTS));
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
  const rows: CertRow[] = [];
  for (const e of entries) {
    const m = /(?:^|\/)([^/]+)\/\1\.crt$/.exec(e.path);
    if (e.type !== 'file' || !m) continue;
    let info: ReturnType<typeof certInfo>;
    try {
      info = certInfo(e.content.toString('utf8'));
    } catch {
      continue;
    }
    const host = m[1]!;
    const env = envOf.get(host);
    rows.push({
      server: run.conn.server.name,
      host,
      ...(env ? { env } : {}),
      domains: info.domains,
      issuer: info.issuer,
      serial: info.serial,
      notAfter: info.notAfter,
      daysLeft: daysLeft(info.notAfter, now),
      challenge: 'http',
      source: 'caddy',
    });
  }
  return rows;
}
