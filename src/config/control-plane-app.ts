// The control plane as an app of the fleet (`slipway serve install`): when `control_plane:` names
// a server and an environment, the fleet has one more app, `slipway`, placed there. It runs the
// image `slipway/serve:v<version>` (built on the server by serve install, no registry) as one
// `web` process behind the environment's proxy on the control plane's domain, with the
// environment's TLS like any app; a volume for its data (users, tokens, the fleet file) and the
// server's Docker socket, so serve reaches its own server without SSH (SLIPWAY_LOCAL_SERVER).
// Being a real app, `up`, `plan`, `deploy`, `status` and the proxy all know it: nothing prunes it.
import type { Diagnostic } from '../diag/diagnostic.ts';
import type { ControlPlaneConfig } from './control-plane.ts';
import type { App, Environment, Server } from './fleet.ts';
import type { YamlSource } from './yaml-source.ts';

/** The package version the image is tagged with (package.json's; a test keeps the two in step). */
export const SLIPWAY_VERSION = '0.1.0';
/** Tagged `v…` so that an environment that deploys only `v*` tags accepts it. */
export const CONTROL_PLANE_IMAGE = `slipway/serve:v${SLIPWAY_VERSION}`;
export const CONTROL_PLANE_APP = 'slipway';
export const CONTROL_PLANE_PORT = 7780;
/** Mount path of the data volume in the container. */
export const CONTROL_PLANE_DATA = '/data';
/** Where serve install puts the fleet file (and its secrets/ and compose files) in the data volume. */
export const CONTROL_PLANE_FLEET_DIR = `${CONTROL_PLANE_DATA}/fleet`;
/** serve's own data directory (users, sessions, tokens, audit) in the data volume. */
export const CONTROL_PLANE_SERVE_DIR = `${CONTROL_PLANE_DATA}/serve`;
/** The command the image runs (its CMD). */
export const CONTROL_PLANE_COMMAND = ['serve', '--host', '0.0.0.0', '--port', String(CONTROL_PLANE_PORT), '--data', CONTROL_PLANE_SERVE_DIR];
const DOCKER_SOCKET = '/var/run/docker.sock';

interface Ctx {
  src: YamlSource;
  diagnostics: Diagnostic[];
}

/**
 * The `slipway` app when `control_plane:` has server, env and domain (none otherwise, or when the
 * names are unknown: normalize-control-plane reports those). A fleet app of that name is an error.
 */
export function controlPlaneApps(cp: ControlPlaneConfig, fleet: { servers: Server[]; environments: Environment[]; apps: App[] }, ctx: Ctx): App[] {
  const install = cp.install;
  if (!install || !cp.domain) return [];
  const server = fleet.servers.find((s) => s.name === install.server);
  if (!server || !fleet.environments.some((e) => e.name === install.env)) return [];
  if (fleet.apps.some((a) => a.name === CONTROL_PLANE_APP)) {
    ctx.diagnostics.push({
      severity: 'error',
      code: 'control-plane-app-name',
      path: `apps/${CONTROL_PLANE_APP}`,
      message: `the app name "${CONTROL_PLANE_APP}" is the control plane's (control_plane: server and env run it as an app)`,
      hint: `rename the app, or drop server and env from control_plane:`,
      pos: ctx.src.posOf(['apps', CONTROL_PLANE_APP]),
    });
    return [];
  }
  return [controlPlaneApp(install, cp.domain, server)];
}

/** The app itself: pure, from where it runs and its domain. */
export function controlPlaneApp(install: { server: string; env: string }, domain: string, server: Server): App {
  const socket = server.transport.kind === 'local' && server.transport.socket ? server.transport.socket : DOCKER_SOCKET;
  return {
    name: CONTROL_PLANE_APP,
    source: { kind: 'image', image: CONTROL_PLANE_IMAGE },
    uses: [],
    dependsOn: [],
    release: [],
    environments: [install.env],
    perEnv: {
      [install.env]: {
        env: install.env,
        server: install.server,
        domains: [domain],
        env_vars: {
          SLIPWAY_FILE: { kind: 'plain', value: `${CONTROL_PLANE_FLEET_DIR}/slipway.yaml` },
          SLIPWAY_LOCAL_SERVER: { kind: 'plain', value: install.server },
        },
        processes: [
          {
            name: 'web',
            port: CONTROL_PLANE_PORT,
            health: { path: '/api/health', intervalMs: 2000, timeoutMs: 3000, retries: 15, startPeriodMs: 0 },
            replicas: 1,
            memory: 256 * 1024 * 1024,
            singleton: false,
            env: {},
            volumes: { data: CONTROL_PLANE_DATA },
            binds: [{ source: socket, target: DOCKER_SOCKET, readOnly: false }],
            dependsOn: [],
            stopTimeoutS: 10,
          },
        ],
      },
    },
    // An app-level volume: the new release starts beside the old one (zero downtime), both on the
    // same data for the moment of the switch, as with any app's shared files.
    volumes: ['data'],
  };
}
