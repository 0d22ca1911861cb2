// `slipway serve install`: the control plane onto its server, as the fleet's `slipway` app
// (config/control-plane-app.ts). Four stages, each a progress step with its timing:
//   1. the image slipway/serve:v<version>, built on the server's engine from the local
//      node:20-slim and the CLI bundle (dist/slipway.cjs, plus ssh2, which the bundle leaves out,
//      for the fleet's other servers); no registry. Skipped when the image there has this bundle;
//   2. the fleet file, its secrets folder and the compose files it reads, into the app's data
//      volume at /data/fleet (serve inside reads them there, re-read per request);
//   3. the first admin, when asked and there are no users yet: the caller turns the users
//      document found in /data/serve into the new one (the CLI does it with serve's own users
//      store; workflows never import the server);
//   4. a deploy of the app through the deploy workflow: lock, new release beside the old one,
//      health check, proxy route with the environment's TLS, old release drained (zero downtime).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { CONTROL_PLANE_APP, CONTROL_PLANE_COMMAND, CONTROL_PLANE_IMAGE, CONTROL_PLANE_PORT } from '../config/control-plane-app.ts';
import { composeImporter } from '../config/compose/importer.ts';
import type { Fleet } from '../config/fleet.ts';
import { type LoadResult, loadFleet } from '../config/load.ts';
import { DEFAULT_SECRETS_DIR } from '../config/secrets-config.ts';
import { UserError } from '../diag/errors.ts';
import type { DockerEngine } from '../engine/docker-engine.ts';
import { isNotFound } from '../engine/engine-errors.ts';
import { packTar, type TarEntry, unpackTar } from '../engine/tar.ts';
import { LABELS } from '../model/labels.ts';
import { appVolume } from '../model/names.ts';
import { tlsServing } from '../model/tls.ts';
import { deploy } from './deploy.ts';
import { runFor, type SessionIO, withSession } from './fleet-session.ts';
import type { StepRecord } from './reporter.ts';

/** The label of the serve image saying which bundle it holds (sha256 of the image's files). */
const BUNDLE_LABEL = 'serve.slipway.bundle';
/** Packages the bundle requires at run time instead of bundling them (scripts/build-cli.mjs `external`). */
const RUNTIME_MODULES = ['ssh2'];

export interface ServeInstallOptions {
  /** The CLI bundle the image runs (dist/slipway.cjs). */
  bundle: string;
  /** Files beside the fleet file that serve needs to load it (compose and env files, a CA root), absolute. */
  files: readonly string[];
  /** The first admin: turns serve's users document (undefined: none yet) into the new one, or undefined to leave it. */
  admin?: { doc: string; update: (current: Buffer | undefined) => Promise<Buffer | undefined> };
  json?: boolean;
  identity?: string;
  drainMs: number;
}

export interface ServeInstallResult {
  url: string;
  image: string;
  imageId: string;
  /** Whether the image was built (false: the server had it with this bundle). */
  built: boolean;
  release: string;
  server: string;
  env: string;
  volume: string;
  durationMs: number;
  steps: StepRecord[];
}

/** Loads the fleet file as the CLI does, noting the compose and env files it reads (copied with it). */
export function loadFleetForInstall(file: string): { load: LoadResult; files: string[] } {
  const dir = dirname(resolve(file));
  const files = new Set<string>();
  const importer = composeImporter(dir);
  const load = loadFleet(file, {
    importCompose: (source, ctx) => {
      for (const f of source.files) files.add(resolve(dir, f));
      for (const f of source.envFiles ?? []) files.add(resolve(dir, f));
      const first = source.files[0];
      if (!source.envFiles && first) files.add(resolve(dir, dirname(first), '.env'));
      return importer(source, ctx);
    },
  });
  for (const e of load.fleet?.environments ?? []) if (e.tls.acme.caRoot) files.add(resolve(e.tls.acme.caRoot));
  return { load, files: [...files].filter((f) => existsSync(f)) };
}

export async function serveInstall(io: SessionIO, fleet: Fleet, opts: ServeInstallOptions): Promise<ServeInstallResult> {
  const t0 = io.now();
  const install = fleet.controlPlane.install;
  const domain = fleet.controlPlane.domain;
  const app = fleet.apps.find((a) => a.name === CONTROL_PLANE_APP);
  const env = fleet.environments.find((e) => e.name === install?.env);
  if (!install || !domain || !app || !env)
    throw new UserError(
      'the fleet file does not say where the control plane runs',
      'add to slipway.yaml: control_plane: { server: SERVER, env: ENV, domain: deploy.example.com }',
    );
  const context = imageContext(opts.bundle);
  return withSession(io, fleet, [install.server], { json: opts.json, ...(opts.identity ? { identity: opts.identity } : {}) }, async (session) => {
    const run = runFor(session, install.server);
    const engine = run.conn.engine;
    const report = session.report;
    const image = await report.step(`image ${CONTROL_PLANE_IMAGE} on ${install.server}`, () => ensureImage(engine, context, report.info));
    const volume = appVolume(fleet.project, env.name, app.name, 'data');
    await report.step(`fleet file and data volume ${volume}`, () =>
      withVolume(engine, fleet, env.name, volume, async (holder) => {
        await engine.putArchive(holder, '/', await packTar(fleetEntries(fleet.file, fleet.secrets?.dir ?? DEFAULT_SECRETS_DIR, opts.files)));
        if (!opts.admin) return;
        const current = await readVolumeFile(engine, holder, `/data/serve/${opts.admin.doc}`);
        const next = await opts.admin.update(current);
        if (next)
          await engine.putArchive(
            holder,
            '/',
            await packTar([
              { path: 'data/serve', content: '', type: 'dir', mode: 0o700 },
              { path: `data/serve/${opts.admin.doc}`, content: next, mode: 0o600 },
            ]),
          );
      }),
    );
    const res = await deploy(run, app, env, { drainMs: opts.drainMs, keep: 3, lockWaitS: 0 });
    return {
      url: urlOf(fleet, install.server, env.name, domain),
      image: CONTROL_PLANE_IMAGE,
      imageId: image.id,
      built: image.built,
      release: res.release,
      server: install.server,
      env: env.name,
      volume,
      durationMs: io.now() - t0,
      steps: report.steps,
    };
  });
}

/** Where the dashboard answers: HTTPS when the environment's TLS serves the domain, else HTTP on the proxy's port. */
export function urlOf(fleet: Fleet, server: string, env: string, domain: string): string {
  const s = fleet.servers.find((x) => x.name === server)!;
  const e = fleet.environments.find((x) => x.name === env)!;
  if (tlsServing({ host: domain, tls: e.tls }, s.proxy) === 'plain') return `http://${domain}${s.httpPort === 80 ? '' : `:${s.httpPort}`}/`;
  const port = s.httpsPort ?? 443;
  return `https://${domain}${port === 443 ? '' : `:${port}`}/`;
}

interface ImageContext {
  entries: TarEntry[];
  digest: string;
  /** Whether ssh2 is in the image (the fleet's other servers over SSH). */
  ssh: boolean;
}

/** The build context of the serve image: Dockerfile, entry, bundle and the runtime modules. */
export function imageContext(bundle: string): ImageContext {
  let code: Buffer;
  try {
    code = readFileSync(bundle);
  } catch {
    throw new UserError(`no CLI bundle at ${bundle}`, 'run "npm run build" in the Slipway checkout (it writes dist/slipway.cjs), or set SLIPWAY_SERVE_BUNDLE');
  }
  const files: TarEntry[] = [
    { path: 'app/slipway.cjs', content: code },
    {
      path: 'app/slipway.js',
      content:
        "// The serve image's entry: the CLI bundle's main with the container's arguments.\nconst { main } = require('./slipway.cjs');\nmain(process.argv.slice(2)).then((code) => {\n  process.exitCode = code;\n});\n",
    },
  ];
  const modules = runtimeModules(bundle);
  files.push(...modules);
  const digest = createHash('sha256');
  for (const f of files) digest.update(f.path).update('\0').update(f.content).update('\0');
  const sum = digest.digest('hex');
  const dockerfile = [
    'FROM node:20-slim',
    'COPY app/ /opt/slipway/',
    'WORKDIR /opt/slipway',
    'ENV NODE_ENV=production',
    `LABEL ${BUNDLE_LABEL}=${sum}`,
    `EXPOSE ${CONTROL_PLANE_PORT}`,
    'ENTRYPOINT ["node", "/opt/slipway/slipway.js"]',
    `CMD ${JSON.stringify(CONTROL_PLANE_COMMAND)}`,
    '',
  ].join('\n');
  return { entries: [{ path: 'Dockerfile', content: dockerfile }, ...files], digest: sum, ssh: modules.length > 0 };
}

/** ssh2 and the packages it needs (not the optional native ones), as files under app/node_modules. */
function runtimeModules(bundle: string): TarEntry[] {
  const out: TarEntry[] = [];
  const seen = new Set<string>();
  const add = (name: string, ...from: string[]) => {
    if (seen.has(name)) return;
    const pkgJson = from.map((f) => resolveFrom(f, `${name}/package.json`)).find((r) => r !== undefined);
    if (!pkgJson) return;
    seen.add(name);
    const root = dirname(pkgJson);
    for (const file of walk(root)) out.push({ path: `app/node_modules/${name}/${relative(root, file).split(sep).join('/')}`, content: readFileSync(file) });
    const deps = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const dep of Object.keys(deps)) add(dep, pkgJson);
  };
  // Beside the bundle (an installed Slipway), else beside the running CLI (a bundle built elsewhere).
  for (const m of RUNTIME_MODULES) add(m, bundle, ...(process.argv[1] ? [process.argv[1]] : []));
  return out;
}

function resolveFrom(from: string, request: string): string | undefined {
  try {
    return createRequire(from).resolve(request);
  } catch {
    return undefined;
  }
}

/** Files under dir, without tests, examples and nested node_modules. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!['test', 'tests', 'examples', 'node_modules', '.github'].includes(e.name)) out.push(...walk(join(dir, e.name)));
    } else if (e.isFile()) out.push(join(dir, e.name));
  }
  return out.sort();
}

async function ensureImage(engine: DockerEngine, context: ImageContext, info: (msg: string) => void): Promise<{ id: string; built: boolean }> {
  const existing = await engine.imageInspect(CONTROL_PLANE_IMAGE);
  if (existing?.labels[BUNDLE_LABEL] === context.digest) {
    info(`    the server has it with this bundle (${context.digest.slice(0, 12)}): not rebuilt`);
    return { id: existing.id, built: false };
  }
  if (!(await engine.imageInspect('node:20-slim')))
    throw new UserError(
      `${engine.serverName}: image node:20-slim is not on the server`,
      'the serve image is built from it there (no registry is used): docker pull node:20-slim on the server, or load it (docker save | docker load)',
    );
  if (!context.ssh) info('    ssh2 was not found beside the bundle: serve will reach only its own server');
  const built = await engine.buildImage({
    contextTar: await packTar(context.entries),
    tag: CONTROL_PLANE_IMAGE,
    dockerfile: 'Dockerfile',
    buildArgs: {},
    labels: {},
  });
  return { id: built.id, built: true };
}

/** The fleet file (as slipway.yaml), its secrets folder and the extra files, under data/fleet/ keeping their paths. */
export function fleetEntries(fleetFile: string, secretsDir: string, extra: readonly string[]): TarEntry[] {
  const base = dirname(resolve(fleetFile));
  const entries: TarEntry[] = [
    { path: 'data', content: '', type: 'dir', mode: 0o755 },
    { path: 'data/fleet', content: '', type: 'dir', mode: 0o700 },
    { path: 'data/fleet/slipway.yaml', content: readFileSync(fleetFile), mode: 0o600 },
  ];
  const files = new Set(extra.map((f) => resolve(f)));
  const secrets = resolve(base, secretsDir);
  if (existsSync(secrets) && statSync(secrets).isDirectory()) for (const f of walk(secrets)) files.add(f);
  for (const f of [...files].sort()) {
    const rel = relative(base, f);
    // Only what lives beside the fleet file; serve resolves the same relative paths in /data/fleet.
    if (rel.startsWith('..') || rel === '' || resolve(base, rel) !== f) continue;
    entries.push({ path: `data/fleet/${rel.split(sep).join('/')}`, content: readFileSync(f), mode: 0o600 });
  }
  return entries;
}

/**
 * Runs fn with a never-started holder container that mounts the app's data volume at /data (the
 * volume made first, labelled as desire labels it), and removes the holder afterwards.
 */
async function withVolume(engine: DockerEngine, fleet: Fleet, env: string, volume: string, fn: (holder: string) => Promise<void>): Promise<void> {
  const labels = { [LABELS.project]: fleet.project, [LABELS.app]: CONTROL_PLANE_APP, [LABELS.env]: env };
  if (!(await engine.listVolumes({ [LABELS.project]: fleet.project })).some((v) => v.name === volume)) await engine.createVolume({ name: volume, labels });
  const holder = `${volume}-install`;
  await engine.removeContainer(holder, { force: true }).catch(() => undefined);
  await engine.createContainer({
    name: holder,
    image: CONTROL_PLANE_IMAGE,
    env: {},
    labels: {},
    networks: [],
    mounts: [{ volume, target: '/data' }],
    restart: 'no',
    stopTimeoutS: 1,
  });
  try {
    await fn(holder);
  } finally {
    await engine.removeContainer(holder, { force: true }).catch(() => undefined);
  }
}

async function readVolumeFile(engine: DockerEngine, holder: string, path: string): Promise<Buffer | undefined> {
  try {
    return (await unpackTar(await engine.getArchive(holder, path))).find((e) => e.type === 'file')?.content;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
