// Proxy routes and the proxy container in desired state.
import type { Fleet, ProcessSpec, Server } from '../../config/fleet.ts';
import type { ContainerSpec, Route, VolumeSpec } from './desired.ts';
import { webProcess } from './apps.ts';
import { DEFAULT_BRIDGE, PROXY_KEY, edgeNetwork, processAlias, proxyContainerName, proxyDataVolume } from '../../model/names.ts';
import { LABELS } from '../../model/labels.ts';
import type { Placement } from './placement.ts';
import { specHash } from './hash.ts';
import { OOM_SCORE, effectiveContainerOptions, sharedScope } from '../../config/container-defaults.ts';

export const PROXY_IMAGE = { caddy: 'caddy:2', nginx: 'nginx:1.27' } as const;

/** One route per domain of an app env to its web process, plus one per domain a process has itself. */
export function routes(p: Placement): Route[] {
  const web = webProcess(p.appEnv.processes);
  const targets: { host: string; proc: ProcessSpec }[] = [];
  if (web) for (const host of p.appEnv.domains) targets.push({ host, proc: web });
  for (const proc of p.appEnv.processes) for (const host of proc.domains ?? []) if (proc.port !== undefined) targets.push({ host, proc });
  const env = p.env;
  return targets.map(({ host, proc }) => ({
    host,
    env: env.name,
    app: p.app.name,
    upstream: `${processAlias(p.app.name, env.name, proc.name)}:${proc.port}`,
    tls: env.tls,
    basicAuth: env.auth ? env.auth.users.map((u) => ({ ...u })) : null,
    rateLimit: env.rateLimit ? { ...env.rateLimit } : null,
    maintenance: false,
  }));
}

/** The proxy: joins every edge network of the envs on the server; the only publisher. */
export function proxyContainer(fleet: Fleet, server: Server, envs: readonly string[], https = false): { container: ContainerSpec; volumes: VolumeSpec[] } {
  const p = fleet.project;
  const labels: Record<string, string> = { [LABELS.project]: p, [LABELS.role]: 'proxy' };
  const publish = [`${server.httpPort}:80`];
  // HTTPS is published when some route is served over TLS (or the port is set): a proxy that
  // redirects to a port nobody published answers nothing useful.
  if (server.httpsPort !== undefined || https) publish.push(`${server.httpsPort ?? 443}:443`);
  // Caddy keeps its certificates and ACME account here, and both proxies find the certificates
  // Slipway obtains here (model/tls.ts): losing them on recreate would hit CA rate limits.
  const mounts: Record<string, string> = { [proxyDataVolume(p)]: '/data' };
  const volumes: VolumeSpec[] = [{ name: proxyDataVolume(p), labels: { [LABELS.project]: p, [LABELS.role]: 'proxy' } }];
  // Every environment goes through the proxy: it is as protected as the most protected of them
  // (and never above the prod default, so adding an environment does not recreate it).
  const scope = sharedScope(
    fleet.environments.filter((e) => envs.includes(e.name)),
    OOM_SCORE.prod,
  );
  const c: Omit<ContainerSpec, 'specHash'> = {
    ...effectiveContainerOptions(scope, {}),
    key: PROXY_KEY,
    name: proxyContainerName(p),
    role: 'proxy',
    replica: 0,
    image: PROXY_IMAGE[server.proxy],
    env_vars: {},
    labels,
    // Created on Docker's default bridge, which is never deleted: Docker binds the published
    // ports to the network a container was created on and, when that network goes, rebinds them
    // elsewhere, cutting the keep-alive connections already open (they hang until they time out).
    // Creating the proxy on an edge network made `down` or a move of that environment do so.
    networks: [{ network: DEFAULT_BRIDGE, aliases: [] }, ...envs.map((e) => ({ network: edgeNetwork(p, e), aliases: [] }))],
    mounts,
    health: null,
    restart: 'unless-stopped',
    // It holds the host ports: a second copy cannot start beside it.
    singleton: true,
    stopTimeoutS: 10,
    publish,
    // A proxy opens a connection per upstream request (nginx 1.22 with runtime DNS): reuse
    // TIME_WAIT ports and widen the range, or a busy proxy runs out of local ports.
    sysctls: { 'net.ipv4.tcp_tw_reuse': '1', 'net.ipv4.ip_local_port_range': '10240 65000' },
  };
  // Edge networks are left out of the hash: the proxy joins a new env's edge network with
  // `docker network connect` instead of being recreated (which would drop requests).
  const hash = specHash({ ...c, networks: [] });
  labels[LABELS.specHash] = hash;
  return { container: { ...c, specHash: hash }, volumes };
}
