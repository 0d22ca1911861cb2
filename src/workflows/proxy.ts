// The proxy container of one server: created on first use, joined to every edge network of its
// environments, fed its config through the Engine API (archive upload), and reloaded gracefully
// (`caddy reload`, or `nginx -t` then `nginx -s reload`). No admin port is ever published.
import { defaultTls } from '../config/fleet.ts';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isNotFound } from '../engine/engine-errors.ts';
import { packTar } from '../engine/tar.ts';
import { PROXY_KEY } from '../model/names.ts';
import type { ContainerSpec, Route } from '../plan/desire/desired.ts';
import { UserError } from '../diag/errors.ts';
import { toCreateSpec } from './container-create.ts';
import { authSecretRefs, noOverrides, passwordKey, proxyFiles, type ProxyInputs, type ProxyOverrides } from './proxy-config.ts';
import { secretLookup } from './secrets-file-lookup.ts';
import type { ServerRun } from './server-run.ts';
import { LABELS } from '../model/labels.ts';
import type { Secret } from '../util/secret.ts';
import { caddyCaRoots, certNeeds } from './tls/cert-needs.ts';
import { installedCerts } from './tls/proxy-certs.ts';

const MAINTENANCE = 'proxy/maintenance.json';
const OVERRIDES = 'proxy/overrides.json';

export function proxySpec(run: ServerRun): ContainerSpec | undefined {
  return run.state.containers.find((c) => c.key === PROXY_KEY);
}

export async function readMaintenance(run: ServerRun): Promise<Set<string>> {
  return new Set((await run.store.readJson<string[]>(MAINTENANCE)) ?? []);
}

export async function writeMaintenance(run: ServerRun, set: Set<string>): Promise<void> {
  await run.store.writeJson(MAINTENANCE, [...set].sort());
}

/** A move's held writes and forwards on this server (workflows/proxy-overrides.ts); empty when none were set. */
export async function readOverrides(run: ServerRun): Promise<ProxyOverrides> {
  const o = await run.store.readJson<Partial<ProxyOverrides>>(OVERRIDES);
  return { ...noOverrides(), ...o };
}

export async function writeOverrides(run: ServerRun, o: ProxyOverrides): Promise<void> {
  await run.store.writeJson(OVERRIDES, o);
}

/**
 * Maintenance flags, a move's overrides and basic-auth passwords for this server's routes. Each password is the
 * environment's own value (`secret set basic-auth-staging --env staging`, or its line in
 * secrets/staging.age) before the one for every environment; a file that cannot be read is an
 * error, never a silently locked environment.
 */
export async function proxyInputs(run: ServerRun): Promise<ProxyInputs> {
  const passwords = new Map<string, Secret>();
  const secrets = secretLookup(run);
  for (const { env, secret } of authSecretRefs(run.state)) {
    const s = await secrets.getSecret(secret, env);
    if (s) passwords.set(passwordKey(env, secret), s);
    else
      run.report.warn(
        `basic-auth secret ${secret} is not set for ${env}: its environment stays locked (set it with: slipway secret set ${secret} --env ${env})`,
      );
  }
  const httpsPort = run.conn.server.httpsPort;
  return {
    maintenance: await readMaintenance(run),
    overrides: await readOverrides(run),
    passwords,
    certificates: await certificatesInPlace(run),
    ...(await acmeCaRoot(run)),
    ...(httpsPort !== undefined && httpsPort !== 443 ? { publicHttpsPort: httpsPort } : {}),
  };
}

/**
 * Hosts that need a Slipway-managed certificate and have its files in the running proxy's data
 * volume (one archive read, only when some route needs one).
 */
async function certificatesInPlace(run: ServerRun): Promise<Set<string>> {
  const spec = proxySpec(run);
  const needs = certNeeds(run.state.routes, run.conn.server.proxy);
  if (!spec || needs.length === 0) return new Set();
  const inPlace = await installedCerts(run.conn.engine, spec.name);
  return new Set(needs.map((n) => n.host).filter((h) => inPlace.has(h)));
}

/** Caddy's own ACME client trusts `tls.acme.ca_root` (one file for the whole proxy). */
async function acmeCaRoot(run: ServerRun): Promise<{ acmeCaRoot?: string }> {
  if (run.conn.server.proxy !== 'caddy') return {};
  const roots = caddyCaRoots(run.state.routes);
  if (roots.length === 0) return {};
  if (roots.length > 1) run.report.warn(`${run.conn.server.name}: Caddy trusts one ACME CA root; using ${roots[0]} (also named: ${roots.slice(1).join(', ')})`);
  try {
    return { acmeCaRoot: await readFile(roots[0]!, 'utf8') };
  } catch (e) {
    throw new UserError(
      `tls.acme.ca_root: cannot read ${roots[0]} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      'point ca_root at the PEM file of the CA that signs the ACME directory’s HTTPS certificate',
    );
  }
}

/** Creates (or reconnects) the proxy container so it runs with this server's edge networks. */
export async function ensureProxy(run: ServerRun, inputs: ProxyInputs): Promise<void> {
  const spec = proxySpec(run);
  if (!spec) return;
  const { engine } = run.conn;
  const kind = run.conn.server.proxy;
  let info;
  try {
    info = await engine.inspectContainer(spec.name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  // The proxy's spec hash leaves out its networks (joined live), so a change means image or ports.
  if (info && info.labels[LABELS.specHash] !== spec.specHash) {
    run.report.info(`proxy spec changed: recreating ${spec.name}`);
    await engine.removeContainer(info.id, { force: true });
    info = undefined;
  }
  if (!info) {
    await assertImage(run, spec.image);
    const files = proxyFiles(run.state, kind, inputs);
    const id = await engine.createContainer(toCreateSpec(spec, { env: {} }));
    await engine.putArchive(id, '/', await packTar(files));
    await engine.startContainer(id);
    await run.store.writeJson(APPLIED, { container: id, sha: digest(files), routes: run.state.routes });
    return;
  }
  const attached = new Set(info.networks.map((n) => n.name));
  for (const n of spec.networks) if (!attached.has(n.network)) await engine.connectNetwork(n.network, info.id, n.aliases);
  if (info.state !== 'running') await engine.startContainer(info.id);
}

const APPLIED = 'proxy/applied.json';

/** The routes (as desired, before release rewriting) the proxy was last loaded with. */
export async function readAppliedRoutes(run: ServerRun): Promise<Route[]> {
  const routes = (await run.store.readJson<{ routes?: Route[] }>(APPLIED))?.routes ?? [];
  // State written before TLS settings existed holds only the mode.
  return routes.map((r) => (typeof r.tls === 'string' ? { ...r, tls: defaultTls(r.tls) } : r));
}

/** Records that the proxy serves no route any more (it goes away with the last environment of its server). */
export async function clearAppliedRoutes(run: ServerRun): Promise<void> {
  await run.store.writeJson(APPLIED, { routes: [] });
}

function digest(files: { path: string; content: string | Buffer }[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f.path).update('\0').update(f.content).update('\0');
  return h.digest('hex');
}

/**
 * Pushes the config and reloads gracefully; on a rejected config the previous one stays. Skips
 * the reload when this exact config is already loaded in this container (an nginx reload closes
 * idle keep-alive connections, so needless reloads cost clients).
 */
export async function reloadProxy(run: ServerRun, inputs: ProxyInputs, opts: { force?: boolean } = {}): Promise<boolean> {
  const spec = proxySpec(run);
  if (!spec) return false;
  const { engine } = run.conn;
  const kind = run.conn.server.proxy;
  const files = proxyFiles(run.state, kind, inputs);
  const main = files[0]!;
  const info = await engine.inspectContainer(spec.name);
  const sha = digest(files);
  const applied = await run.store.readJson<{ container: string; sha: string; routes?: Route[] }>(APPLIED);
  if (!opts.force && applied?.container === info.id && applied.sha === sha) return false;
  if (kind === 'caddy') {
    // Caddy validates and loads a candidate file; only once it is live does it replace the main
    // config (which a restarted container loads). A rejected config changes nothing.
    // Files the config names (the ACME CA root) go first; `force` reloads an unchanged config so
    // Caddy reads certificate files that changed underneath it.
    const next = `${main.path.replace(/\.json$/, '')}.next.json`;
    await engine.putArchive(spec.name, '/', await packTar([...files.slice(1), { ...main, path: next }]));
    const r = await engine.exec(spec.name, ['caddy', 'reload', '--config', `/${next}`, ...(opts.force ? ['--force'] : [])]);
    if (r.exitCode !== 0) throw rejected(run, ['caddy', 'reload'], r);
    await engine.putArchive(spec.name, '/', await packTar(files));
  } else {
    const previous = await engine.getArchive(spec.name, `/${main.path}`).catch(() => undefined);
    await engine.putArchive(spec.name, '/', await packTar(files));
    for (const argv of [
      ['nginx', '-t', '-q'],
      ['nginx', '-s', 'reload'],
    ]) {
      const r = await engine.exec(spec.name, argv);
      if (r.exitCode !== 0) {
        if (previous) await engine.putArchive(spec.name, `/${main.path.split('/').slice(0, -1).join('/')}`, previous);
        throw rejected(run, argv, r);
      }
    }
  }
  await run.store.writeJson(APPLIED, { container: info.id, sha, routes: run.state.routes });
  return true;
}

function rejected(run: ServerRun, argv: string[], r: { exitCode: number; stdout: string; stderr: string }): UserError {
  return new UserError(
    `${run.conn.server.name}: the proxy rejected the new config (${argv.join(' ')} exited ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    'the previous config is still serving; this is a Slipway bug if the fleet validated — please report it',
  );
}

async function assertImage(run: ServerRun, image: string): Promise<void> {
  if (await run.conn.engine.imageInspect(image)) return;
  throw new UserError(
    `${run.conn.server.name}: image ${image} is not on the server`,
    'Slipway never pulls from a registry you did not configure: load it (docker save | docker load), or on this machine run scripts/images.sh caddy nginx',
  );
}
