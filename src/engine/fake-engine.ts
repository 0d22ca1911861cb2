// FakeEngine: an in-memory DockerEngine for workflow tests. It simulates networks, volumes,
// images and containers with Docker's main rules (name conflicts, in-use objects, no pulls), and
// records every port call as `{op, args}` so tests can assert the exact transcript. Env values,
// build-arg values and exec stdin never enter the transcript (keys and byte counts only).
import { PassThrough, Readable } from 'node:stream';
import type {
  BuildResult,
  BuildSpec,
  ContainerHealth,
  ContainerInfo,
  ContainerState,
  ContainerStats,
  ContainerSummary,
  CreateContainerSpec,
  CreateNetworkSpec,
  CreateVolumeSpec,
  DockerEngine,
  EngineInfo,
  ExecOptions,
  ExecResult,
  ImageInfo,
  LabelFilter,
  LogOptions,
  NetworkSummary,
  RunOnceResult,
  StreamingRun,
  StreamingRunOptions,
  VolumeSummary,
} from './docker-engine.ts';
import { BuildError, EngineError, ExecError } from './engine-errors.ts';
import { engineStdin } from './secret-handover.ts';
import { packTar, unpackTar, type TarEntry } from './tar.ts';

export interface TranscriptEntry {
  op: string;
  /** The call's arguments, JSON-safe, with every secret-bearing value replaced by its keys. */
  args: unknown[];
}

/** What a container does when started (see `FakeEngine.onStart`). */
export interface StartBehavior {
  /** Exit at once with this code (otherwise the container keeps running). */
  exitCode?: number;
  /** Output appended to the container's logs. */
  logs?: string;
  /** Health after start; default `healthy` with a healthcheck, `none` without. */
  health?: ContainerHealth;
  /** Memory usage reported by stats, in bytes. */
  memUsage?: number;
}

/** What a streaming one-off container does (see `FakeEngine.onStreaming`): it may read `stdin` and write stderr as it goes. */
export type StreamingHandler = (call: {
  spec: CreateContainerSpec;
  stdin?: Readable;
  stderr: (text: string) => void;
}) => { stdout?: string | Buffer; stderr?: string; exitCode?: number } | Promise<{ stdout?: string | Buffer; stderr?: string; exitCode?: number }>;

export type ExecHandler = (call: { container: FakeContainer; argv: string[]; opts: ExecOptions }) => Partial<ExecResult> | undefined;

export interface FakeContainer {
  id: string;
  name: string;
  spec: CreateContainerSpec;
  state: ContainerState;
  health: ContainerHealth;
  exitCode: number;
  logs: string;
  networks: Map<string, string[]>;
  files: Map<string, Buffer>;
  createdAt: string;
  startedAt: string | null;
  restartCount: number;
  memUsage: number;
}

interface FakeNetwork extends NetworkSummary {
  /** container id -> aliases */
  endpoints: Map<string, string[]>;
}

const EPOCH = Date.UTC(2025, 0, 1);

function matches(labels: Record<string, string>, filter: LabelFilter): boolean {
  return Object.entries(filter).every(([k, v]) => (v === true ? k in labels : labels[k] === v));
}

function hex(n: number, len = 64): string {
  return n.toString(16).padStart(len, '0');
}

function sanitizeSpec(spec: CreateContainerSpec): Record<string, unknown> {
  const { env, ...rest } = spec;
  return JSON.parse(JSON.stringify({ ...rest, envKeys: Object.keys(env).sort() }));
}

export class FakeEngine implements DockerEngine {
  readonly transcript: TranscriptEntry[] = [];
  readonly networks = new Map<string, FakeNetwork>();
  readonly volumes = new Map<string, VolumeSummary>();
  readonly images = new Map<string, ImageInfo>();
  readonly containers = new Map<string, FakeContainer>();
  engineInfo: EngineInfo = { name: 'fake', memTotal: 8 * 1024 ** 3, ncpu: 4, serverVersion: '20.10.24' };
  /** When false, ping and every other call fail as an unreachable engine. */
  reachable = true;

  #seq = 0;
  #quiet = 0;
  #execHandlers: { match: (c: FakeContainer, argv: string[]) => boolean; handler: ExecHandler }[] = [];
  #startBehaviors: { match: (c: FakeContainer) => boolean; behavior: StartBehavior | ((c: FakeContainer) => StartBehavior) }[] = [];
  #streamingHandlers: { match: (spec: CreateContainerSpec) => boolean; handler: StreamingHandler }[] = [];
  #buildHandler: (spec: BuildSpec) => { log?: string[]; error?: string } = () => ({});
  #failures: { op: string; match?: (args: unknown[]) => boolean; error: (op: string) => Error; once: boolean }[] = [];
  #waiters = new Map<string, ((code: number) => void)[]>();
  /** Docker's default network, always there and never listed with a project's (no labels). */
  #bridge: FakeNetwork = { id: 'bridge0', name: 'bridge', labels: {}, internal: false, driver: 'bridge', endpoints: new Map() };

  constructor(
    readonly serverName = 'fake',
    opts: { images?: string[] } = {},
  ) {
    for (const ref of opts.images ?? []) this.addImage(ref);
  }

  // ---- programming the fake ----

  /** Make an image exist (as if built or loaded earlier). */
  addImage(ref: string, labels: Record<string, string> = {}): ImageInfo {
    const existing = this.images.get(ref);
    const img = { id: existing?.id ?? `sha256:${hex(++this.#seq)}`, tags: [ref], labels };
    this.images.set(ref, img);
    return img;
  }

  /** Answer exec calls whose argv starts with `prefix` (or matches a predicate). Last added wins. */
  onExec(match: string[] | ((c: FakeContainer, argv: string[]) => boolean), handler: ExecHandler | Partial<ExecResult>): this {
    const m = Array.isArray(match) ? (_c: FakeContainer, argv: string[]) => match.every((a, i) => argv[i] === a) : match;
    const h: ExecHandler = typeof handler === 'function' ? handler : () => handler;
    this.#execHandlers.unshift({ match: m, handler: h });
    return this;
  }

  /** What containers whose name starts with `prefix` (or match a predicate) do when started. Last added wins. */
  onStart(match: string | ((c: FakeContainer) => boolean), behavior: StartBehavior | ((c: FakeContainer) => StartBehavior)): this {
    const m = typeof match === 'string' ? (c: FakeContainer) => c.name.startsWith(match) : match;
    this.#startBehaviors.unshift({ match: m, behavior });
    return this;
  }

  /** Answer runStreaming calls whose container name starts with `prefix` (or match a predicate). Last added wins. */
  onStreaming(match: string | ((spec: CreateContainerSpec) => boolean), handler: StreamingHandler): this {
    const m = typeof match === 'string' ? (spec: CreateContainerSpec) => spec.name.startsWith(match) : match;
    this.#streamingHandlers.unshift({ match: m, handler });
    return this;
  }

  /** Decide how builds go: return `{error}` to fail, `{log}` for progress lines. */
  onBuild(handler: (spec: BuildSpec) => { log?: string[]; error?: string }): this {
    this.#buildHandler = handler;
    return this;
  }

  /** Make calls of `op` fail (once by default) with an EngineError, or the given error. */
  failOn(op: string, opts: { match?: (args: unknown[]) => boolean; error?: Error; detail?: string; statusCode?: number; always?: boolean } = {}): this {
    const error = (o: string) => opts.error ?? new EngineError(this.serverName, o, undefined, opts.detail ?? 'injected failure', opts.statusCode ?? 500);
    this.#failures.push({ op, ...(opts.match ? { match: opts.match } : {}), error, once: opts.always !== true });
    return this;
  }

  /** Change a container's health (e.g. `starting` → `healthy`). */
  setHealth(idOrName: string, health: ContainerHealth): void {
    this.#container('setHealth', idOrName).health = health;
  }

  /** Make a running container exit (as if its process ended). */
  exitContainer(idOrName: string, exitCode: number): void {
    this.#exit(this.#container('exitContainer', idOrName), exitCode);
  }

  appendLogs(idOrName: string, text: string): void {
    this.#container('appendLogs', idOrName).logs += text;
  }

  /** Op names in call order, optionally only those in `ops`. */
  ops(...only: string[]): string[] {
    return this.transcript.filter((t) => only.length === 0 || only.includes(t.op)).map((t) => t.op);
  }

  calls(op: string): unknown[][] {
    return this.transcript.filter((t) => t.op === op).map((t) => t.args);
  }

  clearTranscript(): void {
    this.transcript.length = 0;
  }

  /** A container by id or name, or undefined. */
  find(idOrName: string): FakeContainer | undefined {
    const byId = this.containers.get(idOrName);
    if (byId) return byId;
    for (const c of this.containers.values()) if (c.name === idOrName || (idOrName.length >= 12 && c.id.startsWith(idOrName))) return c;
    return undefined;
  }

  // ---- internals ----

  #record(op: string, args: unknown[]): void {
    if (!this.reachable) throw new EngineError(this.serverName, op, undefined, 'cannot reach the Docker engine (ECONNREFUSED)');
    const i = this.#failures.findIndex((f) => f.op === op && (!f.match || f.match(args)));
    if (this.#quiet === 0) this.transcript.push({ op, args: JSON.parse(JSON.stringify(args)) });
    if (i !== -1) {
      const f = this.#failures[i]!;
      if (f.once) this.#failures.splice(i, 1);
      throw f.error(op);
    }
  }

  #err(op: string, target: string, detail: string, status: number): EngineError {
    return new EngineError(this.serverName, op, target, detail, status);
  }

  #container(op: string, idOrName: string): FakeContainer {
    const c = this.find(idOrName);
    if (!c) throw this.#err(op, idOrName, `No such container: ${idOrName}`, 404);
    return c;
  }

  #network(op: string, name: string): FakeNetwork {
    const n = this.networks.get(name) ?? [...this.networks.values()].find((x) => x.id === name) ?? (name === 'bridge' ? this.#bridge : undefined);
    if (!n) throw this.#err(op, name, `network ${name} not found`, 404);
    return n;
  }

  #now(): string {
    return new Date(EPOCH + ++this.#seq * 1000).toISOString();
  }

  #exit(c: FakeContainer, code: number): void {
    c.state = 'exited';
    c.exitCode = code;
    c.health = c.spec.healthcheck ? 'unhealthy' : 'none';
    for (const w of this.#waiters.get(c.id) ?? []) w(code);
    this.#waiters.delete(c.id);
  }

  #behavior(c: FakeContainer): StartBehavior {
    const found = this.#startBehaviors.find((b) => b.match(c));
    if (!found) return {};
    return typeof found.behavior === 'function' ? found.behavior(c) : found.behavior;
  }

  // ---- the port ----

  async ping(): Promise<void> {
    this.#record('ping', []);
  }

  async info(): Promise<EngineInfo> {
    this.#record('info', []);
    return { ...this.engineInfo };
  }

  async listNetworks(labels: LabelFilter): Promise<NetworkSummary[]> {
    this.#record('listNetworks', [labels]);
    return [...this.networks.values()]
      .filter((n) => matches(n.labels, labels))
      .map(({ endpoints: _e, ...n }) => ({ ...n, labels: { ...n.labels } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createNetwork(spec: CreateNetworkSpec): Promise<string> {
    this.#record('createNetwork', [spec]);
    if (this.networks.has(spec.name)) throw this.#err('createNetwork', spec.name, `network with name ${spec.name} already exists`, 409);
    const id = hex(++this.#seq);
    this.networks.set(spec.name, { id, name: spec.name, labels: { ...spec.labels }, internal: spec.internal === true, driver: 'bridge', endpoints: new Map() });
    return id;
  }

  async removeNetwork(name: string): Promise<void> {
    this.#record('removeNetwork', [name]);
    const n = this.#network('removeNetwork', name);
    if (n.endpoints.size) throw this.#err('removeNetwork', name, `error while removing network: network ${name} id ${n.id} has active endpoints`, 403);
    this.networks.delete(n.name);
  }

  #connect(op: string, network: string, c: FakeContainer, aliases: string[]): void {
    const n = this.#network(op, network);
    if (n.endpoints.has(c.id)) throw this.#err(op, `${c.name} to ${network}`, `endpoint with name ${c.name} already exists in network ${network}`, 403);
    n.endpoints.set(c.id, [...aliases]);
    c.networks.set(n.name, [...aliases]);
  }

  async connectNetwork(network: string, container: string, aliases: string[]): Promise<void> {
    this.#record('connectNetwork', [network, container, aliases]);
    this.#connect('connectNetwork', network, this.#container('connectNetwork', container), aliases);
  }

  async disconnectNetwork(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    this.#record('disconnectNetwork', [network, container, opts]);
    const n = this.#network('disconnectNetwork', network);
    const c = this.#container('disconnectNetwork', container);
    if (!n.endpoints.delete(c.id))
      throw this.#err('disconnectNetwork', `${container} from ${network}`, `container ${c.id} is not connected to network ${network}`, 403);
    c.networks.delete(n.name);
  }

  async listVolumes(labels: LabelFilter): Promise<VolumeSummary[]> {
    this.#record('listVolumes', [labels]);
    return [...this.volumes.values()]
      .filter((v) => matches(v.labels, labels))
      .map((v) => ({ ...v, labels: { ...v.labels } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async createVolume(spec: CreateVolumeSpec): Promise<void> {
    this.#record('createVolume', [spec]);
    // Docker's volume create is idempotent for the same name.
    if (!this.volumes.has(spec.name)) {
      this.volumes.set(spec.name, { name: spec.name, labels: { ...spec.labels }, driver: 'local', mountpoint: `/var/lib/docker/volumes/${spec.name}/_data` });
    }
  }

  async removeVolume(name: string): Promise<void> {
    this.#record('removeVolume', [name]);
    if (!this.volumes.has(name)) throw this.#err('removeVolume', name, `get ${name}: no such volume`, 404);
    const user = [...this.containers.values()].find((c) => c.spec.mounts.some((m) => m.volume === name));
    if (user) throw this.#err('removeVolume', name, `remove ${name}: volume is in use - [${user.id}]`, 409);
    this.volumes.delete(name);
  }

  async imageInspect(ref: string): Promise<ImageInfo | null> {
    this.#record('imageInspect', [ref]);
    const img = this.images.get(ref) ?? [...this.images.values()].find((i) => i.id === ref);
    return img ? { ...img, tags: [...img.tags], labels: { ...img.labels } } : null;
  }

  async buildImage(spec: BuildSpec): Promise<BuildResult> {
    const { contextTar, onProgress: _p, buildArgs, ...rest } = spec;
    const files = Buffer.isBuffer(contextTar) ? (await unpackTar(contextTar)).map((e) => e.path) : undefined;
    this.#record('buildImage', [{ ...rest, buildArgKeys: Object.keys(buildArgs).sort(), ...(files ? { files } : {}) }]);
    const r = this.#buildHandler(spec);
    for (const l of r.log ?? []) spec.onProgress?.(l);
    if (r.error) throw new BuildError(this.serverName, spec.tag, [...(r.log ?? []), r.error].slice(-30), r.error);
    const img = this.addImage(spec.tag, { ...spec.labels });
    for (const other of this.images.values()) if (other !== img && other.id === img.id) other.tags = other.tags.filter((t) => t !== spec.tag);
    return { id: img.id, tag: spec.tag };
  }

  async tagImage(ref: string, newRef: string): Promise<void> {
    this.#record('tagImage', [ref, newRef]);
    const img = this.images.get(ref) ?? [...this.images.values()].find((i) => i.id === ref);
    if (!img) throw this.#err('tagImage', `${ref} as ${newRef}`, `No such image: ${ref}`, 404);
    this.images.set(newRef, { id: img.id, tags: [newRef], labels: { ...img.labels } });
  }

  async removeImage(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    this.#record('removeImage', [ref, opts]);
    const img = this.images.get(ref);
    if (!img) throw this.#err('removeImage', ref, `No such image: ${ref}`, 404);
    const user = [...this.containers.values()].find((c) => c.spec.image === ref);
    if (user && !opts.force)
      throw this.#err(
        'removeImage',
        ref,
        `conflict: unable to remove repository reference "${ref}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image`,
        409,
      );
    this.images.delete(ref);
  }

  async saveImage(ref: string): Promise<Readable> {
    this.#record('saveImage', [ref]);
    const img = this.images.get(ref);
    if (!img) throw this.#err('saveImage', ref, `reference does not exist`, 404);
    return Readable.from([await packTar([{ path: 'fake-image.json', content: JSON.stringify({ ref, ...img }) }])]);
  }

  async loadImage(tar: Readable | Buffer): Promise<void> {
    this.#record('loadImage', []);
    let buf: Buffer;
    if (Buffer.isBuffer(tar)) buf = tar;
    else {
      const chunks: Buffer[] = [];
      for await (const c of tar) chunks.push(Buffer.from(c));
      buf = Buffer.concat(chunks);
    }
    const entry = (await unpackTar(buf)).find((e) => e.path === 'fake-image.json');
    if (!entry) throw this.#err('loadImage', '', 'unexpected EOF', 500);
    const { ref, id, labels } = JSON.parse(entry.content.toString()) as { ref: string; id: string; labels: Record<string, string> };
    this.images.set(ref, { id, tags: [ref], labels });
  }

  async listContainers(labels: LabelFilter, opts: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    this.#record('listContainers', [labels, opts]);
    return [...this.containers.values()]
      .filter((c) => matches(c.spec.labels, labels) && (opts.all || c.state === 'running'))
      .map((c) => ({
        id: c.id,
        name: c.name,
        image: c.spec.image,
        imageId: this.images.get(c.spec.image)?.id ?? '',
        labels: { ...c.spec.labels },
        state: c.state,
        status: c.state === 'running' ? 'Up' : `Exited (${c.exitCode})`,
        createdAt: c.createdAt,
        networks: [...c.networks.keys()].sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo> {
    this.#record('inspectContainer', [idOrName]);
    const c = this.#container('inspectContainer', idOrName);
    const running = c.state === 'running';
    return {
      id: c.id,
      name: c.name,
      image: c.spec.image,
      imageId: this.images.get(c.spec.image)?.id ?? '',
      labels: { ...c.spec.labels },
      state: c.state,
      health: c.health,
      exitCode: c.exitCode,
      ipAddresses: Object.fromEntries([...c.networks.keys()].map((n, i) => [n, running ? `172.30.${i}.${(this.#seq % 250) + 2}` : ''])),
      networks: [...c.networks.entries()].map(([name, aliases]) => ({ name, aliases: [...aliases] })).sort((a, b) => a.name.localeCompare(b.name)),
      mounts: c.spec.mounts.map((m) => ({ ...m })),
      createdAt: c.createdAt,
      startedAt: c.startedAt,
      restartCount: c.restartCount,
      memoryLimit: c.spec.memory ?? 0,
      cpus: c.spec.cpus ?? 0,
      restart: c.spec.restart,
      cmd: [...(c.spec.cmd ?? [])],
      envKeys: Object.keys(c.spec.env),
      publishedPorts: (c.spec.publish ?? []).map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.hostPort}->${p.containerPort}/tcp`),
    };
  }

  async createContainer(spec: CreateContainerSpec): Promise<string> {
    this.#record('createContainer', [sanitizeSpec(spec)]);
    if (this.find(spec.name)) throw this.#err('createContainer', spec.name, `Conflict. The container name "/${spec.name}" is already in use`, 409);
    if (!this.images.has(spec.image)) throw this.#err('createContainer', spec.name, `No such image: ${spec.image}`, 404);
    for (const n of spec.networks) this.#network('createContainer', n.name);
    const c: FakeContainer = {
      id: hex(++this.#seq),
      name: spec.name,
      spec: { ...spec, env: { ...spec.env }, labels: { ...spec.labels } },
      state: 'created',
      health: 'none',
      exitCode: 0,
      logs: '',
      networks: new Map(),
      files: new Map(),
      createdAt: this.#now(),
      startedAt: null,
      restartCount: 0,
      memUsage: 0,
    };
    for (const m of spec.mounts) {
      if (!this.volumes.has(m.volume))
        this.volumes.set(m.volume, { name: m.volume, labels: {}, driver: 'local', mountpoint: `/var/lib/docker/volumes/${m.volume}/_data` });
    }
    this.containers.set(c.id, c);
    for (const n of spec.networks) this.#connect('createContainer', n.name, c, n.aliases);
    return c.id;
  }

  async startContainer(idOrName: string): Promise<void> {
    this.#record('startContainer', [idOrName]);
    const c = this.#container('startContainer', idOrName);
    if (c.state === 'running') return;
    c.state = 'running';
    c.startedAt = this.#now();
    const b = this.#behavior(c);
    c.health = b.health ?? (c.spec.healthcheck ? 'healthy' : 'none');
    if (b.logs) c.logs += b.logs;
    if (b.memUsage !== undefined) c.memUsage = b.memUsage;
    if (b.exitCode !== undefined) this.#exit(c, b.exitCode);
  }

  async stopContainer(idOrName: string, timeoutS: number): Promise<void> {
    this.#record('stopContainer', [idOrName, timeoutS]);
    const c = this.#container('stopContainer', idOrName);
    if (c.state === 'running') this.#exit(c, 0);
  }

  async pauseContainer(idOrName: string): Promise<void> {
    this.#record('pauseContainer', [idOrName]);
    const c = this.#container('pauseContainer', idOrName);
    if (c.state !== 'running') throw this.#err('pauseContainer', idOrName, `Container ${c.id} is not running`, 409);
    c.state = 'paused';
  }

  async unpauseContainer(idOrName: string): Promise<void> {
    this.#record('unpauseContainer', [idOrName]);
    const c = this.#container('unpauseContainer', idOrName);
    if (c.state === 'paused') c.state = 'running';
  }

  async removeContainer(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    this.#record('removeContainer', [idOrName, opts]);
    const c = this.#container('removeContainer', idOrName);
    if (c.state === 'running' && !opts.force) {
      throw this.#err(
        'removeContainer',
        idOrName,
        `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
        409,
      );
    }
    if (c.state === 'running') this.#exit(c, 137);
    for (const n of c.networks.keys()) this.networks.get(n)?.endpoints.delete(c.id);
    this.containers.delete(c.id);
  }

  async renameContainer(idOrName: string, newName: string): Promise<void> {
    this.#record('renameContainer', [idOrName, newName]);
    const c = this.#container('renameContainer', idOrName);
    const other = this.find(newName);
    if (other && other !== c) throw this.#err('renameContainer', idOrName, `Conflict. The container name "/${newName}" is already in use`, 409);
    c.name = newName;
  }

  async waitContainer(idOrName: string): Promise<number> {
    this.#record('waitContainer', [idOrName]);
    const c = this.#container('waitContainer', idOrName);
    if (c.state !== 'running') return c.exitCode;
    return new Promise((resolve) => {
      const list = this.#waiters.get(c.id) ?? [];
      list.push(resolve);
      this.#waiters.set(c.id, list);
    });
  }

  containerLogs(idOrName: string, opts?: LogOptions & { follow?: false }): Promise<string>;
  containerLogs(idOrName: string, opts: LogOptions & { follow: true }): Promise<Readable>;
  async containerLogs(idOrName: string, opts: LogOptions & { follow?: boolean } = {}): Promise<string | Readable> {
    this.#record('containerLogs', [idOrName, opts]);
    const c = this.#container('containerLogs', idOrName);
    let text = c.logs;
    if (opts.tail !== undefined) {
      const lines = text.split('\n');
      const trailing = lines[lines.length - 1] === '' ? lines.pop() : undefined;
      text = lines.slice(Math.max(0, lines.length - opts.tail)).join('\n') + (trailing !== undefined ? '\n' : '');
      if (opts.tail === 0) text = '';
    }
    return opts.follow ? Readable.from([Buffer.from(text)]) : text;
  }

  async stats(idOrName: string): Promise<ContainerStats> {
    this.#record('stats', [idOrName]);
    const c = this.#container('stats', idOrName);
    return { memUsage: c.state === 'running' ? c.memUsage : 0, memLimit: c.spec.memory ?? this.engineInfo.memTotal };
  }

  async exec(container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const { env, stdin, ...rest } = opts;
    this.#record('exec', [
      container,
      argv,
      { ...rest, ...(env ? { envKeys: Object.keys(env).sort() } : {}), ...(stdin !== undefined ? { stdinBytes: Buffer.byteLength(engineStdin(stdin)) } : {}) },
    ]);
    const c = this.#container('exec', container);
    if (c.state !== 'running') throw this.#err('exec', container, `Container ${c.id} is not running`, 409);
    const h = this.#execHandlers.find((x) => x.match(c, argv));
    const r = h?.handler({ container: c, argv, opts }) ?? {};
    const result: ExecResult = { exitCode: r.exitCode ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    if (opts.check && result.exitCode !== 0) throw new ExecError(argv, `${this.serverName}/${container}`, result.exitCode, result.stderr);
    return result;
  }

  async putArchive(container: string, dir: string, tar: Buffer): Promise<void> {
    const entries = await unpackTar(tar);
    this.#record('putArchive', [container, dir, { files: entries.map((e) => e.path) }]);
    const c = this.#container('putArchive', container);
    const base = dir.replace(/\/+$/, '');
    for (const e of entries) if (e.type === 'file') c.files.set(`${base}/${e.path}`.replace(/\/+/g, '/'), e.content);
  }

  async getArchive(container: string, path: string): Promise<Buffer> {
    this.#record('getArchive', [container, path]);
    const c = this.#container('getArchive', container);
    const p = path.replace(/\/+$/, '');
    const base = p.slice(p.lastIndexOf('/') + 1);
    const file = c.files.get(p);
    if (file) return packTar([{ path: base, content: file }]);
    const under: TarEntry[] = [...c.files.entries()]
      .filter(([f]) => f.startsWith(`${p}/`))
      .map(([f, content]) => ({ path: `${base}/${f.slice(p.length + 1)}`, content }));
    if (!under.length) throw this.#err('getArchive', `${container}:${path}`, `Could not find the file ${path} in container ${container}`, 404);
    return packTar(under);
  }

  async getArchiveStream(container: string, path: string): Promise<Readable> {
    return Readable.from([await this.getArchive(container, path)]);
  }

  /** Container files written by putArchive, for assertions. */
  readFile(idOrName: string, path: string): string | undefined {
    return this.find(idOrName)?.files.get(path)?.toString('utf8');
  }

  async runStreaming(spec: CreateContainerSpec, opts: StreamingRunOptions = {}): Promise<StreamingRun> {
    this.#record('runStreaming', [sanitizeSpec(spec), { stdin: opts.stdin !== undefined }]);
    this.#quiet++;
    try {
      await this.createContainer(spec);
      await this.removeContainer(spec.name, { force: true });
    } finally {
      this.#quiet--;
    }
    // Runs in the background, as a container would: the caller may still be writing its stdin.
    const stdout = new PassThrough();
    const done = (async () => {
      const h = this.#streamingHandlers.find((x) => x.match(spec));
      const r = h ? await h.handler({ spec, stdin: opts.stdin, stderr: (t) => opts.onStderr?.(Buffer.from(t)) }) : {};
      if (!h) await opts.stdin?.toArray();
      if (r.stderr) opts.onStderr?.(Buffer.from(r.stderr));
      stdout.end(r.stdout === undefined ? Buffer.alloc(0) : Buffer.from(r.stdout));
      return { exitCode: r.exitCode ?? 0, stderr: r.stderr ?? '' };
    })();
    done.catch((e) => stdout.destroy(e));
    return { id: `fake-${spec.name}`, stdout, done, kill: async () => undefined };
  }

  async runOnce(spec: CreateContainerSpec, opts: { timeoutMs: number }): Promise<RunOnceResult> {
    this.#record('runOnce', [sanitizeSpec(spec), opts]);
    this.#quiet++;
    try {
      const id = await this.createContainer(spec);
      try {
        await this.startContainer(id);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((r) => {
          timer = setTimeout(() => r('timeout'), opts.timeoutMs);
        });
        const outcome = await Promise.race([this.waitContainer(id), timeout]);
        clearTimeout(timer);
        const timedOut = outcome === 'timeout';
        if (timedOut) this.#exit(this.#container('runOnce', id), 137);
        return { exitCode: timedOut ? 137 : (outcome as number), logs: await this.containerLogs(id), timedOut };
      } finally {
        await this.removeContainer(id, { force: true });
      }
    } finally {
      this.#quiet--;
    }
  }
}
