// `up`'s certificate step, after the proxy is applied: every host that needs a Slipway-managed
// certificate (cert-needs.ts) gets one in the proxy's data volume. A certificate is obtained from
// the environment's ACME directory when there is none, when it came from elsewhere, or when it
// expires within `renewBeforeDays` (or `forceRenew`); one from `mode: files` is read from its
// secrets. Certificates and account keys are kept in the server's state (0600), so a recreated
// proxy gets them back without asking the CA again. The proxy is reloaded only when a certificate
// in it changed. A host that fails keeps being served as before (HTTP only until it has one); the
// step then ends with an error naming the hosts.
import { readFile } from 'node:fs/promises';
import { UserError } from '../../diag/errors.ts';
import { dnsProvider, zoneFor } from '../../dns/provider.ts';
import { engineFile } from '../../engine/secret-handover.ts';
import { proxyInputs, proxySpec, reloadProxy } from '../proxy.ts';
import { secretLookup } from '../secrets-file-lookup.ts';
import type { ServerRun } from '../server-run.ts';
import { newAccountKey, orderCertificate, type ChallengeSolver } from './acme-order.ts';
import { certInfo, dueForRenewal, type CertInfo } from './cert-info.ts';
import { certNeeds, type CertNeed } from './cert-needs.ts';
import { readAccountKey, readCert, readCertKey, writeAccountKey, writeCert, type CertRecord, type CertSource } from './cert-store.ts';
import { dnsSolver, httpSolver, type TxtWriter } from './challenge-solvers.ts';
import { installCert, installedCerts } from './proxy-certs.ts';

export interface CertificateOptions {
  /** Renew every ACME certificate now, whatever its expiry (or only these hosts). */
  forceRenew?: boolean | ReadonlySet<string>;
  /** The DNS provider for a host's zone (DNS-01); default: the fleet's `dns:` zones. */
  dnsFor?: (run: ServerRun, host: string) => Promise<TxtWriter | undefined>;
}

export type CertAction = 'obtained' | 'renewed' | 'installed' | 'current' | 'failed';

export interface CertOutcome {
  host: string;
  source: CertSource;
  action: CertAction;
  challenge?: 'http' | 'dns';
  notAfter?: string;
  serial?: string;
  ms: number;
  /** Why it failed (never a secret). */
  error?: string;
}

export interface CertificatesResult {
  server: string;
  certificates: CertOutcome[];
  /** The proxy was reloaded with changed certificates. */
  reloaded: boolean;
}

export async function ensureCertificates(run: ServerRun, opts: CertificateOptions = {}): Promise<CertificatesResult> {
  const server = run.conn.server.name;
  const spec = proxySpec(run);
  const needs = spec ? certNeeds(run.state.routes, run.conn.server.proxy) : [];
  if (!spec || needs.length === 0) return { server, certificates: [], reloaded: false };
  const installed = await installedCerts(run.conn.engine, spec.name);
  const outcomes: CertOutcome[] = [];
  let changed = false;
  for (const need of needs) {
    const t0 = run.now();
    try {
      const o = await run.report.step(`certificate ${need.host}`, () => ensureOne(run, spec.name, need, installed, opts));
      if (o.action !== 'current') {
        changed = true;
        run.report.info(`certificate ${need.host}: ${o.action}${o.notAfter ? `, valid until ${o.notAfter.slice(0, 10)}` : ''}`);
      }
      outcomes.push({ ...o, ms: run.now() - t0 });
    } catch (e) {
      const error = e instanceof UserError ? e.message : e instanceof Error ? e.message : String(e);
      run.report.warn(`${server}: no certificate for ${need.host}: ${error}`);
      outcomes.push({ host: need.host, source: need.tls.mode === 'files' ? 'files' : 'acme', action: 'failed', ms: run.now() - t0, error });
    }
  }
  let reloaded = false;
  // A renewed file changes nothing in the config itself: the reload is forced so the proxy reads it.
  if (changed) reloaded = await run.report.step('proxy reload (certificates)', async () => reloadProxy(run, await proxyInputs(run), { force: true }));
  const failed = outcomes.filter((o) => o.action === 'failed');
  if (failed.length)
    throw new UserError(
      `${server}: ${failed.length} certificate${failed.length === 1 ? '' : 's'} could not be obtained: ${failed.map((f) => `${f.host} (${f.error})`).join('; ')}`,
      'those hosts are served over plain HTTP until they have one; fix the cause (DNS pointing at the server, port 80 reachable, the DNS zone credentials, the secrets) and run `slipway up` again',
    );
  return { server, certificates: outcomes, reloaded };
}

type Outcome = Omit<CertOutcome, 'ms'>;

async function ensureOne(run: ServerRun, proxy: string, need: CertNeed, installed: Map<string, string>, opts: CertificateOptions): Promise<Outcome> {
  if (need.tls.mode === 'files') return ensureFromFiles(run, proxy, need, installed);
  const { host } = need;
  const directory = need.tls.acme.directory;
  const rec = await readCert(run.store, host);
  const forced = opts.forceRenew === true || (opts.forceRenew instanceof Set && opts.forceRenew.has(host));
  const due =
    forced ||
    !rec ||
    rec.source !== 'acme' ||
    rec.directory !== directory ||
    !rec.domains.includes(host) ||
    dueForRenewal(rec.notAfter, need.tls.renewBeforeDays, run.now());
  const key = due ? undefined : await readCertKey(run.store, host);
  if (rec && !due && key) {
    if (installed.get(host) === rec.fullchain) return outcome(rec, 'current');
    await installCert(run.conn.engine, proxy, host, rec.fullchain, key);
    return outcome(rec, 'installed');
  }
  const challenge = need.tls.challenge;
  const solver: ChallengeSolver = challenge === 'dns' ? dnsSolver(await dnsProviderFor(run, host, opts)) : httpSolver(run.conn.engine, proxy);
  const caRootPem = need.tls.acme.caRoot ? await readCaRoot(need.tls.acme.caRoot, need.env) : undefined;
  let accountKey = await readAccountKey(run.store, directory);
  if (!accountKey) {
    accountKey = await newAccountKey();
    await writeAccountKey(run.store, directory, accountKey);
  }
  const got = await orderCertificate({
    directory,
    accountKey,
    domains: [host],
    solver,
    ...(caRootPem ? { caRootPem } : {}),
    ...(need.tls.acme.email ? { email: need.tls.acme.email } : {}),
  });
  const next: CertRecord = {
    ...certInfo(got.fullchain),
    host,
    source: 'acme',
    challenge,
    directory,
    obtainedAt: new Date(run.now()).toISOString(),
    fullchain: got.fullchain,
  };
  await writeCert(run.store, next, got.key);
  await installCert(run.conn.engine, proxy, host, next.fullchain, got.key);
  return outcome(next, rec ? 'renewed' : 'obtained');
}

async function ensureFromFiles(run: ServerRun, proxy: string, need: CertNeed, installed: Map<string, string>): Promise<Outcome> {
  const { host, env } = need;
  const names = need.tls.files;
  if (!names)
    throw new UserError(
      `${host}: tls mode files names no certificate and key secrets`,
      'give the environment tls: { cert: { secret: NAME }, key: { secret: NAME } }',
    );
  const lookup = secretLookup(run);
  const [cert, key] = [await lookup.getSecret(names.cert, env), await lookup.getSecret(names.key, env)];
  for (const [what, name, value] of [
    ['certificate', names.cert, cert],
    ['key', names.key, key],
  ] as const)
    if (!value)
      throw new UserError(
        `the TLS ${what} secret ${name} of ${env} is not set`,
        `set it from its PEM file: slipway secret set ${name} --env ${env} < file.pem`,
      );
  // A certificate chain is public: it is read as text here to say what it covers and when it expires.
  const fullchain = engineFile(cert!);
  let info: CertInfo;
  try {
    info = certInfo(fullchain);
  } catch {
    throw new UserError(
      `the TLS certificate secret ${names.cert} of ${env} holds no PEM certificate`,
      `set it to the PEM chain (leaf first): slipway secret set ${names.cert} --env ${env} < fullchain.pem`,
    );
  }
  if (!info.domains.some((d) => d === host || (d.startsWith('*.') && host.endsWith(d.slice(1)) && !host.slice(0, -d.length + 1).includes('.'))))
    run.report.warn(`${host}: the certificate in secret ${names.cert} covers ${info.domains.join(', ') || 'no DNS name'}, not ${host}`);
  const prev = await readCert(run.store, host);
  const rec: CertRecord = {
    ...info,
    host,
    source: 'files',
    obtainedAt: prev?.fullchain === fullchain ? prev.obtainedAt : new Date(run.now()).toISOString(),
    fullchain,
  };
  if (prev?.fullchain !== fullchain || prev.source !== 'files') await writeCert(run.store, rec, key!);
  if (installed.get(host) === fullchain) return outcome(rec, 'current');
  await installCert(run.conn.engine, proxy, host, fullchain, key!);
  return outcome(rec, 'installed');
}

function outcome(rec: CertRecord, action: CertAction): Outcome {
  return { host: rec.host, source: rec.source, action, ...(rec.challenge ? { challenge: rec.challenge } : {}), notAfter: rec.notAfter, serial: rec.serial };
}

async function dnsProviderFor(run: ServerRun, host: string, opts: CertificateOptions): Promise<TxtWriter> {
  const p = await (opts.dnsFor ?? fleetDnsFor)(run, host);
  if (!p)
    throw new UserError(
      `${host} uses the DNS-01 challenge, but no zone under dns: holds it`,
      `add its zone to dns: in the fleet file (provider rfc2136 or cloudflare), or use challenge: http`,
    );
  return p;
}

async function readCaRoot(path: string, env: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError(
      `tls.acme.ca_root of ${env}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'point ca_root at the PEM file of the CA that signs the ACME directory’s HTTPS certificate',
    );
  }
}

/** The zone of `host` among the fleet's `dns:` zones, through the DNS port; its credential is a fleet-wide secret. */
async function fleetDnsFor(run: ServerRun, host: string): Promise<TxtWriter | undefined> {
  const zone = zoneFor(run.fleet.dns, host);
  if (!zone) return undefined;
  const lookup = secretLookup(run);
  return dnsProvider(zone, (name) => lookup.getSecret(name));
}
