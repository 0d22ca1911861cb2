// DockerEngine: the port through which Slipway talks to one Docker engine (local socket or SSH).
// Implementations: DockerodeEngine (real Engine API) and FakeEngine (in-memory, recording).
// Only our own domain types cross this boundary; no dockerode type leaks out.
import type { Readable } from 'node:stream';
import type { Secret } from '../util/secret.ts';

/** Label selector: `key: value` matches `key=value`; `key: true` matches the key being present. */
export type LabelFilter = Record<string, string | true>;

export interface EngineInfo {
  /** The engine host's name. */
  name: string;
  /** Bytes. */
  memTotal: number;
  ncpu: number;
  serverVersion: string;
}

export interface NetworkSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  internal: boolean;
  driver: string;
}

export interface CreateNetworkSpec {
  name: string;
  labels: Record<string, string>;
  internal?: boolean;
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
  driver: string;
  mountpoint: string;
}

export interface CreateVolumeSpec {
  name: string;
  labels: Record<string, string>;
}

export interface ImageInfo {
  id: string;
  tags: string[];
  labels: Record<string, string>;
}

export interface BuildSpec {
  /** A tar (optionally gzipped) of the build context, Dockerfile included. */
  contextTar: Readable | Buffer;
  tag: string;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  /** Build stage to stop at (`--target`). */
  target?: string;
  /** Not secret: Docker keeps build args in the image history for anyone to read. */
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Called with each line of build output, as it arrives. */
  onProgress?: (line: string) => void;
}

export interface BuildResult {
  /** Image id (`sha256:…`) of the built image. */
  id: string;
  tag: string;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type ContainerHealth = 'starting' | 'healthy' | 'unhealthy' | 'none';

export interface ContainerSummary {
  id: string;
  /** Without Docker's leading slash. */
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerState;
  /** Docker's human status, e.g. `Up 3 minutes (healthy)`; for display only. */
  status: string;
  /** ISO 8601. */
  createdAt: string;
  networks: string[];
}

export interface ContainerMount {
  volume: string;
  target: string;
  readOnly?: boolean;
}

export interface ContainerInfo {
  id: string;
  name: string;
  /** The image reference the container was created from (`Config.Image`). */
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerState;
  health: ContainerHealth;
  exitCode: number;
  /** network name -> IPv4 address ('' when not running). */
  ipAddresses: Record<string, string>;
  /** Network attachments with their user-given aliases (Docker's automatic short-id alias removed). */
  networks: { name: string; aliases: string[] }[];
  mounts: ContainerMount[];
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, or null if never started. */
  startedAt: string | null;
  restartCount: number;
  /** Bytes; 0 means unlimited. */
  memoryLimit: number;
  /** Fractional CPUs; 0 means unlimited. */
  cpus: number;
  restart: string;
  cmd: string[];
  /** Names of the env vars set on the container (never the values). */
  envKeys: string[];
  /** Host port bindings, `hostIp:hostPort->containerPort/proto` (empty when nothing is published). */
  publishedPorts: string[];
}

export interface PublishSpec {
  hostPort: number;
  containerPort: number;
  hostIp?: string;
}

export interface HealthcheckSpec {
  /**
   * Docker's test, as compose writes it: `["CMD", argv…]` (exec form), `["CMD-SHELL", "cmd"]` (run by
   * the image's /bin/sh), `["NONE"]` (disables the image's HEALTHCHECK). Without one of these
   * prefixes, an exec-form argv.
   */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export interface CreateContainerSpec {
  name: string;
  image: string;
  cmd?: string[];
  /**
   * Resolved values. Secrets stay wrapped up to the adapter, which unwraps them into the container's
   * env and redacts them from any error text it raises.
   */
  env: Record<string, string | Secret>;
  labels: Record<string, string>;
  /** The first network is attached at create; the rest are connected before start. */
  networks: { name: string; aliases: string[] }[];
  mounts: ContainerMount[];
  /** Bind mounts: a path of the engine's host (HostConfig.Mounts, Type bind). */
  binds?: { source: string; target: string; readOnly: boolean }[];
  /** Bytes. */
  memory?: number;
  cpus?: number;
  restart: 'unless-stopped' | 'no' | 'always' | 'on-failure';
  stopTimeoutS: number;
  publish?: PublishSpec[];
  healthcheck?: HealthcheckSpec;
  /** Namespaced sysctls (HostConfig.Sysctls). */
  sysctls?: Record<string, string>;
  user?: string;
  workdir?: string;
  /** Replaces the image's ENTRYPOINT (its CMD is then not used); `[]` clears it. */
  entrypoint?: string[];
  /** HostConfig.RestartPolicy.MaximumRetryCount (with `on-failure`). */
  restartMaxRetries?: number;
  /** Signal that stops the container (Config.StopSignal), `stopTimeoutS` before SIGKILL. */
  stopSignal?: string;
  /** Mount path -> tmpfs options (`size=64m`), or '' for the defaults. */
  tmpfs?: Record<string, string>;
  capAdd?: string[];
  capDrop?: string[];
  readOnlyRootfs?: boolean;
  privileged?: boolean;
  ulimits?: { name: string; soft: number; hard: number }[];
  /** Bytes of /dev/shm. */
  shmSize?: number;
  /** Docker's init as PID 1. */
  init?: boolean;
  /** Logging driver and its options (rotation: json-file `max-size`, `max-file`). */
  logging?: { driver: string; options: Record<string, string> };
  /** Extra /etc/hosts lines as `host:ip`. */
  extraHosts?: string[];
  devices?: { pathOnHost: string; pathInContainer: string; permissions: string }[];
  dns?: string[];
  /** -1 is unlimited. */
  pidsLimit?: number;
  /** -1000..1000; higher is killed first under memory pressure. */
  oomScoreAdj?: number;
}

export interface LogOptions {
  /** Last N lines; all when omitted. */
  tail?: number;
  /** Unix seconds. */
  since?: number;
  timestamps?: boolean;
}

export interface ExecOptions {
  /** Extra env for this command (secrets wrapped, as for containers); values are never recorded or reported. */
  env?: Record<string, string | Secret>;
  user?: string;
  workdir?: string;
  /** Written to the command's stdin, which is then closed; a Secret when it holds one (psql's `\set` of a password). */
  stdin?: string | Buffer | Secret;
  /** Throw ExecError when the exit code is not 0. */
  check?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOnceResult {
  exitCode: number;
  /** stdout and stderr interleaved as the container wrote them. */
  logs: string;
  /** True when the container was killed because it ran past timeoutMs. */
  timedOut: boolean;
}

/** A one-off container with streams attached (see DockerEngine.runStreaming). */
export interface StreamingRunOptions {
  /** Piped into the container's stdin, which is closed when this ends. */
  stdin?: Readable;
  /** Each chunk of the container's stderr as it arrives. */
  onStderr?: (chunk: Buffer) => void;
}

export interface StreamingRun {
  readonly id: string;
  /** The container's stdout, demultiplexed; reading it slowly slows the container (bounded memory). Must be consumed. */
  stdout: Readable;
  /** Settles once the container has exited and been removed: its exit code and the last 64 KiB of its stderr. */
  done: Promise<{ exitCode: number; stderr: string }>;
  /** Kills the container; `done` then settles. */
  kill(): Promise<void>;
}

export interface ContainerStats {
  /** Bytes. */
  memUsage: number;
  /** Bytes; the host's memory when the container has no limit. */
  memLimit: number;
}

export interface DockerEngine {
  /** The server this engine belongs to (used in every error). */
  readonly serverName: string;

  ping(): Promise<void>;
  info(): Promise<EngineInfo>;

  listNetworks(labels: LabelFilter): Promise<NetworkSummary[]>;
  createNetwork(spec: CreateNetworkSpec): Promise<string>;
  removeNetwork(name: string): Promise<void>;
  connectNetwork(network: string, container: string, aliases: string[]): Promise<void>;
  disconnectNetwork(network: string, container: string, opts?: { force?: boolean }): Promise<void>;

  listVolumes(labels: LabelFilter): Promise<VolumeSummary[]>;
  createVolume(spec: CreateVolumeSpec): Promise<void>;
  removeVolume(name: string): Promise<void>;

  /** null when the image does not exist on this engine. */
  imageInspect(ref: string): Promise<ImageInfo | null>;
  /** Legacy-builder build on this engine; never pulls a base image that exists locally. */
  buildImage(spec: BuildSpec): Promise<BuildResult>;
  tagImage(ref: string, newRef: string): Promise<void>;
  removeImage(ref: string, opts?: { force?: boolean }): Promise<void>;
  /** `docker save` as a tar stream. */
  saveImage(ref: string): Promise<Readable>;
  /** `docker load` from a tar stream (as produced by saveImage). */
  loadImage(tar: Readable | Buffer): Promise<void>;

  listContainers(labels: LabelFilter, opts?: { all?: boolean }): Promise<ContainerSummary[]>;
  inspectContainer(idOrName: string): Promise<ContainerInfo>;
  /** Returns the new container's id. Connects extra networks, but does not start it. */
  createContainer(spec: CreateContainerSpec): Promise<string>;
  startContainer(idOrName: string): Promise<void>;
  stopContainer(idOrName: string, timeoutS: number): Promise<void>;
  /** Freezes every process of a running container (`docker pause`): its sockets still accept connections, nothing answers until unpaused. */
  pauseContainer(idOrName: string): Promise<void>;
  /** Thaws a paused container (`docker unpause`); a container not paused is left as it is. */
  unpauseContainer(idOrName: string): Promise<void>;
  removeContainer(idOrName: string, opts?: { force?: boolean; volumes?: boolean }): Promise<void>;
  renameContainer(idOrName: string, newName: string): Promise<void>;
  /** Waits until the container stops; returns its exit code. */
  waitContainer(idOrName: string): Promise<number>;
  /** Demultiplexed stdout+stderr. */
  containerLogs(idOrName: string, opts?: LogOptions & { follow?: false }): Promise<string>;
  /** Follows: a stream of demultiplexed output that ends when the container stops. */
  containerLogs(idOrName: string, opts: LogOptions & { follow: true }): Promise<Readable>;
  stats(idOrName: string): Promise<ContainerStats>;

  /** Runs argv (no shell) inside a running container and collects its output. */
  exec(container: string, argv: string[], opts?: ExecOptions): Promise<ExecResult>;

  /** Extracts a tar archive into directory `dir` of the container. */
  putArchive(container: string, dir: string, tar: Buffer): Promise<void>;
  /** A tar archive of `path` (file or directory) in the container. */
  getArchive(container: string, path: string): Promise<Buffer>;

  /** A tar archive of `path` in the container, as a stream (for archives too large to hold in memory). */
  getArchiveStream(container: string, path: string): Promise<Readable>;

  /**
   * Creates and starts a one-off container with its stdout (and `stdin`) attached as streams, and
   * removes it once it exits: dumps and archives flow through without being held in memory.
   */
  runStreaming(spec: CreateContainerSpec, opts?: StreamingRunOptions): Promise<StreamingRun>;

  /**
   * Creates, starts and waits for a one-off container, collects its logs, then removes it
   * (also on failure and timeout).
   */
  runOnce(spec: CreateContainerSpec, opts: { timeoutMs: number }): Promise<RunOnceResult>;
}
