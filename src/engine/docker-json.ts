// Pure mappers from the Docker Engine API's JSON (inspect and list responses, API 1.41) to the
// DockerEngine port's own types. No I/O here: the fixtures in test/fixtures/plan/docker are
// real engine responses, and the tests feed them through these functions.
import type {
  ContainerHealth,
  ContainerInfo,
  ContainerMount,
  ContainerState,
  ContainerSummary,
  CreateContainerSpec,
  ImageInfo,
  LabelFilter,
  NetworkSummary,
  VolumeSummary,
} from './docker-engine.ts';
import { engineEnv } from './secret-handover.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

function toState(s: unknown): ContainerState {
  return STATES.includes(s as ContainerState) ? (s as ContainerState) : 'dead';
}

function toHealth(s: unknown): ContainerHealth {
  return s === 'starting' || s === 'healthy' || s === 'unhealthy' ? s : 'none';
}

const stripSlash = (n: string): string => (n.startsWith('/') ? n.slice(1) : n);

/** `{label: ["k=v", "k"]}` for the Engine API's `filters` query parameter. */
export function labelFilters(labels: LabelFilter): { label: string[] } {
  return { label: Object.entries(labels).map(([k, v]) => (v === true ? k : `${k}=${v}`)) };
}

/** GET /containers/json item → ContainerSummary. */
export function containerSummaryFromList(c: Json): ContainerSummary {
  const names: string[] = c.Names ?? [];
  return {
    id: c.Id,
    name: stripSlash(names[0] ?? ''),
    image: c.Image ?? '',
    imageId: c.ImageID ?? '',
    labels: c.Labels ?? {},
    state: toState(c.State),
    status: c.Status ?? '',
    createdAt: new Date((c.Created ?? 0) * 1000).toISOString(),
    networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort(),
  };
}

/** GET /containers/{id}/json → ContainerInfo. */
export function containerInfoFromInspect(c: Json): ContainerInfo {
  const shortId = String(c.Id ?? '').slice(0, 12);
  const nets: Record<string, Json> = c.NetworkSettings?.Networks ?? {};
  const started: string | undefined = c.State?.StartedAt;
  const mounts: ContainerMount[] = (c.Mounts ?? [])
    .filter((m: Json) => m.Type === 'volume')
    .map((m: Json) => ({ volume: m.Name, target: m.Destination, ...(m.RW === false ? { readOnly: true } : {}) }));
  return {
    id: c.Id,
    name: stripSlash(c.Name ?? ''),
    image: c.Config?.Image ?? '',
    imageId: c.Image ?? '',
    labels: c.Config?.Labels ?? {},
    state: toState(c.State?.Status),
    health: toHealth(c.State?.Health?.Status),
    exitCode: c.State?.ExitCode ?? 0,
    ipAddresses: Object.fromEntries(Object.entries(nets).map(([n, v]) => [n, v.IPAddress ?? ''])),
    networks: Object.entries(nets)
      .map(([name, v]) => ({
        name,
        // Docker adds the container's short id as an alias on user-defined networks.
        aliases: ((v.Aliases ?? []) as string[]).filter((a) => a !== shortId && a !== c.Config?.Hostname),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    mounts,
    createdAt: c.Created ?? '',
    startedAt: started && !started.startsWith('0001-') ? started : null,
    restartCount: c.RestartCount ?? 0,
    memoryLimit: c.HostConfig?.Memory ?? 0,
    cpus: (c.HostConfig?.NanoCpus ?? 0) / 1e9,
    restart: c.HostConfig?.RestartPolicy?.Name || 'no',
    cmd: c.Config?.Cmd ?? [],
    envKeys: ((c.Config?.Env ?? []) as string[]).map((kv) => kv.split('=')[0] ?? kv),
    publishedPorts: Object.entries((c.HostConfig?.PortBindings ?? {}) as Record<string, { HostIp?: string; HostPort?: string }[] | null>).flatMap(
      ([cp, binds]) => (binds ?? []).map((b) => `${b.HostIp || '0.0.0.0'}:${b.HostPort ?? ''}->${cp}`),
    ),
  };
}

/** GET /networks item or inspect → NetworkSummary. */
export function networkFromJson(n: Json): NetworkSummary {
  return { id: n.Id, name: n.Name, labels: n.Labels ?? {}, internal: n.Internal === true, driver: n.Driver ?? '' };
}

/** GET /volumes `Volumes[]` item → VolumeSummary. */
export function volumeFromJson(v: Json): VolumeSummary {
  return { name: v.Name, labels: v.Labels ?? {}, driver: v.Driver ?? '', mountpoint: v.Mountpoint ?? '' };
}

/** GET /images/{ref}/json → ImageInfo. */
export function imageFromInspect(i: Json): ImageInfo {
  return { id: i.Id, tags: i.RepoTags ?? [], labels: i.Config?.Labels ?? {} };
}

const msToNs = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms * 1e6));

/** Our CreateContainerSpec → POST /containers/create body (first network only). */
export function createBody(spec: CreateContainerSpec): Json {
  const first = spec.networks[0];
  const exposed: Json = {};
  const bindings: Json = {};
  for (const p of spec.publish ?? []) {
    const k = `${p.containerPort}/tcp`;
    exposed[k] = {};
    (bindings[k] ??= []).push({ HostPort: String(p.hostPort), ...(p.hostIp ? { HostIp: p.hostIp } : {}) });
  }
  const body: Json = {
    name: spec.name,
    Image: spec.image,
    Env: engineEnv(spec.env),
    Labels: spec.labels,
    StopTimeout: spec.stopTimeoutS,
    ExposedPorts: exposed,
    HostConfig: {
      RestartPolicy: {
        Name: spec.restart === 'no' ? '' : spec.restart,
        ...(spec.restartMaxRetries !== undefined ? { MaximumRetryCount: spec.restartMaxRetries } : {}),
      },
      Mounts: [
        ...spec.mounts.map((m) => ({ Type: 'volume', Source: m.volume, Target: m.target, ReadOnly: m.readOnly === true })),
        ...(spec.binds ?? []).map((b) => ({ Type: 'bind', Source: b.source, Target: b.target, ReadOnly: b.readOnly })),
      ],
      PortBindings: bindings,
      ...(first ? { NetworkMode: first.name } : {}),
      ...(spec.memory ? { Memory: spec.memory } : {}),
      ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      ...(spec.sysctls ? { Sysctls: spec.sysctls } : {}),
      ...hostConfigOptions(spec),
    },
    NetworkingConfig: first ? { EndpointsConfig: { [first.name]: { Aliases: first.aliases } } } : {},
  };
  if (spec.cmd) body.Cmd = spec.cmd;
  if (spec.user) body.User = spec.user;
  if (spec.workdir) body.WorkingDir = spec.workdir;
  // An empty list would mean "the image's"; [""] is how `docker run --entrypoint ""` clears it.
  if (spec.entrypoint) body.Entrypoint = spec.entrypoint.length > 0 ? spec.entrypoint : [''];
  if (spec.stopSignal) body.StopSignal = spec.stopSignal;
  if (spec.healthcheck) {
    const h = spec.healthcheck;
    body.Healthcheck = {
      Test: healthTest(h.test),
      Interval: msToNs(h.intervalMs),
      Timeout: msToNs(h.timeoutMs),
      Retries: h.retries,
      StartPeriod: msToNs(h.startPeriodMs),
    };
  }
  return body;
}

/** A HealthcheckSpec test as Docker's Healthcheck.Test: compose's forms kept, a bare argv is `CMD`. */
export function healthTest(test: readonly string[]): string[] {
  return ['CMD', 'CMD-SHELL', 'NONE'].includes(test[0] ?? '') ? [...test] : ['CMD', ...test];
}

/** HostConfig fields of the container settings (CreateContainerSpec's optional ones), only those set. */
function hostConfigOptions(spec: CreateContainerSpec): Json {
  const h: Json = {};
  if (spec.tmpfs) h.Tmpfs = spec.tmpfs;
  if (spec.capAdd) h.CapAdd = spec.capAdd;
  if (spec.capDrop) h.CapDrop = spec.capDrop;
  if (spec.readOnlyRootfs !== undefined) h.ReadonlyRootfs = spec.readOnlyRootfs;
  if (spec.privileged !== undefined) h.Privileged = spec.privileged;
  if (spec.ulimits) h.Ulimits = spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  if (spec.shmSize !== undefined) h.ShmSize = spec.shmSize;
  if (spec.init !== undefined) h.Init = spec.init;
  if (spec.logging) h.LogConfig = { Type: spec.logging.driver, Config: spec.logging.options };
  if (spec.extraHosts) h.ExtraHosts = spec.extraHosts;
  if (spec.devices) h.Devices = spec.devices.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.permissions }));
  if (spec.dns) h.Dns = spec.dns;
  if (spec.pidsLimit !== undefined) h.PidsLimit = spec.pidsLimit;
  if (spec.oomScoreAdj !== undefined) h.OomScoreAdj = spec.oomScoreAdj;
  return h;
}
