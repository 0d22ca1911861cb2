// DockerodeEngine: the real DockerEngine, over the Docker Engine API through dockerode 4.
// Give it a Docker instance or dockerode connection options: the local socket by default, or
// `{ protocol: 'http', agent }` with an agent that tunnels to a remote socket over SSH.
import type { Agent } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import Docker from 'dockerode';
import type {
  BuildResult,
  BuildSpec,
  ContainerInfo,
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
import { getArchiveStreamOn, runStreamingOn } from './streaming-run.ts';
import {
  containerInfoFromInspect,
  containerSummaryFromList,
  createBody,
  imageFromInspect,
  labelFilters,
  networkFromJson,
  volumeFromJson,
} from './docker-json.ts';
import { DemuxStream, demux, demuxInto } from './demux.ts';
import { BuildError, EngineError, ExecError } from './engine-errors.ts';
import { engineEnv, engineStdin, secretsIn } from './secret-handover.ts';
import { redactSecrets, type Secret } from '../util/secret.ts';

const BUILD_LOG_TAIL = 30;

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/** Parse a stream of newline-delimited JSON messages (build/load progress), one callback each. */
async function eachJsonLine(s: NodeJS.ReadableStream, fn: (msg: Record<string, any>) => void): Promise<void> {
  let buf = '';
  const flush = (line: string) => {
    if (!line.trim()) return;
    try {
      fn(JSON.parse(line));
    } catch {
      fn({ stream: line });
    }
  };
  for await (const c of s as AsyncIterable<Buffer | string>) {
    buf += c.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      flush(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  }
  flush(buf);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How to reach the engine: a ready Docker instance, or dockerode options. `agent` (missing from
 * dockerode's typings, honoured by docker-modem) lets an SSH transport pass
 * `{ protocol: 'http', host: 'docker', agent }` with an agent that opens a stream to the remote socket.
 */
export type EngineConnection = Docker | (Docker.DockerOptions & { agent?: Agent });

export class DockerodeEngine implements DockerEngine {
  readonly docker: Docker;

  constructor(
    readonly serverName: string,
    connection: EngineConnection = {},
  ) {
    this.docker = connection instanceof Docker ? connection : new Docker(connection as Docker.DockerOptions);
  }

  /** Run `fn`, wrapping any failure in an EngineError naming this server, op and target. */
  private async call<T>(op: string, target: string | undefined, fn: () => Promise<T>, secrets: readonly Secret[] = []): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof EngineError || err instanceof ExecError) throw err;
      throw this.wrap(op, target, err, secrets);
    }
  }

  private wrap(op: string, target: string | undefined, err: unknown, secrets: readonly Secret[] = []): EngineError {
    const e = err as { statusCode?: number; json?: { message?: string } | null; message?: string; code?: string; address?: string };
    let detail: string;
    if (e?.code === 'ENOENT' || e?.code === 'ECONNREFUSED' || e?.code === 'EACCES' || e?.code === 'ETIMEDOUT') {
      detail = `cannot reach the Docker engine (${e.code}${e.address ? ` ${e.address}` : ''})`;
    } else {
      detail = (e?.json && typeof e.json === 'object' && e.json.message) || e?.message || String(err);
    }
    return new EngineError(this.serverName, op, target, redactSecrets(String(detail).trim(), secrets), e?.statusCode);
  }

  ping(): Promise<void> {
    return this.call('ping', undefined, async () => {
      await this.docker.ping();
    });
  }

  info(): Promise<EngineInfo> {
    return this.call('info', undefined, async () => {
      const i = await this.docker.info();
      return { name: i.Name, memTotal: i.MemTotal, ncpu: i.NCPU, serverVersion: i.ServerVersion };
    });
  }

  // ---- networks ----

  listNetworks(labels: LabelFilter): Promise<NetworkSummary[]> {
    return this.call('listNetworks', undefined, async () => {
      const list = await this.docker.listNetworks({ filters: labelFilters(labels) });
      return list.map(networkFromJson).sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  createNetwork(spec: CreateNetworkSpec): Promise<string> {
    return this.call('createNetwork', spec.name, async () => {
      const n = await this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: spec.internal === true,
        Labels: spec.labels,
      });
      return n.id;
    });
  }

  removeNetwork(name: string): Promise<void> {
    return this.call('removeNetwork', name, async () => {
      await this.docker.getNetwork(name).remove();
    });
  }

  connectNetwork(network: string, container: string, aliases: string[]): Promise<void> {
    return this.call('connectNetwork', `${container} to ${network}`, async () => {
      await this.docker.getNetwork(network).connect({ Container: container, EndpointConfig: { Aliases: aliases } });
    });
  }

  disconnectNetwork(network: string, container: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.call('disconnectNetwork', `${container} from ${network}`, async () => {
      await this.docker.getNetwork(network).disconnect({ Container: container, Force: opts.force === true });
    });
  }

  // ---- volumes ----

  listVolumes(labels: LabelFilter): Promise<VolumeSummary[]> {
    return this.call('listVolumes', undefined, async () => {
      const r = await this.docker.listVolumes({ filters: labelFilters(labels) });
      return (r.Volumes ?? []).map(volumeFromJson).sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  createVolume(spec: CreateVolumeSpec): Promise<void> {
    return this.call('createVolume', spec.name, async () => {
      await this.docker.createVolume({ Name: spec.name, Labels: spec.labels });
    });
  }

  removeVolume(name: string): Promise<void> {
    return this.call('removeVolume', name, async () => {
      await this.docker.getVolume(name).remove();
    });
  }

  // ---- images ----

  imageInspect(ref: string): Promise<ImageInfo | null> {
    return this.call('imageInspect', ref, async () => {
      try {
        return imageFromInspect(await this.docker.getImage(ref).inspect());
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return null;
        throw err;
      }
    });
  }

  async buildImage(spec: BuildSpec): Promise<BuildResult> {
    const tail: string[] = [];
    const note = (line: string) => {
      tail.push(line);
      if (tail.length > BUILD_LOG_TAIL) tail.shift();
      spec.onProgress?.(line);
    };
    let stream: NodeJS.ReadableStream;
    try {
      const ctx = Buffer.isBuffer(spec.contextTar) ? spec.contextTar : (spec.contextTar as unknown as NodeJS.ReadableStream);
      stream = await this.docker.buildImage(
        ctx as NodeJS.ReadableStream,
        {
          t: spec.tag,
          dockerfile: spec.dockerfile,
          ...(spec.target ? { target: spec.target } : {}),
          buildargs: spec.buildArgs,
          labels: spec.labels,
          rm: true,
          forcerm: true,
          version: '1',
        } as Docker.ImageBuildOptions,
      );
    } catch (err) {
      const w = this.wrap('buildImage', spec.tag, err);
      throw new BuildError(this.serverName, spec.tag, tail, w.detail);
    }
    let error: string | undefined;
    let id: string | undefined;
    try {
      await eachJsonLine(stream, (msg) => {
        if (typeof msg.stream === 'string') {
          for (const l of msg.stream.split('\n')) if (l.trim()) note(l.replace(/\r$/, ''));
        }
        if (typeof msg.status === 'string') note(msg.status);
        if (msg.error || msg.errorDetail) {
          error = String(msg.errorDetail?.message ?? msg.error);
          note(error);
        }
        if (msg.aux?.ID) id = String(msg.aux.ID);
      });
    } catch (err) {
      error = (err as Error).message;
    }
    // Build args are not secrets (the image history keeps them): the log is shown as it is.
    if (error) throw new BuildError(this.serverName, spec.tag, tail, error);
    if (!id) {
      const img = await this.imageInspect(spec.tag);
      if (!img) throw new BuildError(this.serverName, spec.tag, tail, 'build finished but the image is missing');
      id = img.id;
    }
    return { id, tag: spec.tag };
  }

  tagImage(ref: string, newRef: string): Promise<void> {
    return this.call('tagImage', `${ref} as ${newRef}`, async () => {
      const colon = newRef.lastIndexOf(':');
      const hasTag = colon > newRef.lastIndexOf('/');
      await this.docker.getImage(ref).tag({ repo: hasTag ? newRef.slice(0, colon) : newRef, tag: hasTag ? newRef.slice(colon + 1) : 'latest' });
    });
  }

  removeImage(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.call('removeImage', ref, async () => {
      await this.docker.getImage(ref).remove({ force: opts.force === true });
    });
  }

  saveImage(ref: string): Promise<Readable> {
    return this.call('saveImage', ref, async () => {
      const s = await this.docker.getImage(ref).get();
      return s instanceof Readable ? s : Readable.from(s as AsyncIterable<Buffer>);
    });
  }

  loadImage(tar: Readable | Buffer): Promise<void> {
    return this.call('loadImage', undefined, async () => {
      const input = Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
      const out = await this.docker.loadImage(input, { quiet: true });
      let error: string | undefined;
      await eachJsonLine(out, (msg) => {
        if (msg.error || msg.errorDetail) error = String(msg.errorDetail?.message ?? msg.error);
      });
      if (error) throw new Error(error);
    });
  }

  // ---- containers ----

  listContainers(labels: LabelFilter, opts: { all?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.call('listContainers', undefined, async () => {
      const list = await this.docker.listContainers({ all: opts.all === true, filters: labelFilters(labels) });
      return list.map(containerSummaryFromList).sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  inspectContainer(idOrName: string): Promise<ContainerInfo> {
    return this.call('inspectContainer', idOrName, async () => containerInfoFromInspect(await this.docker.getContainer(idOrName).inspect()));
  }

  createContainer(spec: CreateContainerSpec): Promise<string> {
    const secrets = secretsIn(spec.env);
    return this.call(
      'createContainer',
      spec.name,
      async () => {
        const c = await this.docker.createContainer(createBody(spec) as Docker.ContainerCreateOptions);
        try {
          for (const n of spec.networks.slice(1)) {
            await this.docker.getNetwork(n.name).connect({ Container: c.id, EndpointConfig: { Aliases: n.aliases } });
          }
        } catch (err) {
          await c.remove({ force: true }).catch(() => undefined);
          throw err;
        }
        return c.id;
      },
      secrets,
    );
  }

  startContainer(idOrName: string): Promise<void> {
    return this.call('startContainer', idOrName, async () => {
      await this.docker.getContainer(idOrName).start();
    });
  }

  stopContainer(idOrName: string, timeoutS: number): Promise<void> {
    return this.call('stopContainer', idOrName, async () => {
      try {
        await this.docker.getContainer(idOrName).stop({ t: timeoutS });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 304) return; // already stopped
        throw err;
      }
    });
  }

  pauseContainer(idOrName: string): Promise<void> {
    return this.call('pauseContainer', idOrName, async () => {
      await this.docker.getContainer(idOrName).pause();
    });
  }

  unpauseContainer(idOrName: string): Promise<void> {
    return this.call('unpauseContainer', idOrName, async () => {
      try {
        await this.docker.getContainer(idOrName).unpause();
      } catch (err) {
        // 409: "Container … is not paused" (already thawed, e.g. by a run that was killed after it).
        if ((err as { statusCode?: number }).statusCode === 409 && /not paused/i.test(String((err as Error).message))) return;
        throw err;
      }
    });
  }

  removeContainer(idOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    return this.call('removeContainer', idOrName, async () => {
      await this.docker.getContainer(idOrName).remove({ force: opts.force === true, v: opts.volumes === true });
    });
  }

  renameContainer(idOrName: string, newName: string): Promise<void> {
    return this.call('renameContainer', idOrName, async () => {
      await this.docker.getContainer(idOrName).rename({ name: newName });
    });
  }

  /** Waits with condition `not-running`: a container that was never started returns at once. */
  waitContainer(idOrName: string): Promise<number> {
    return this.call('waitContainer', idOrName, async () => {
      const r = (await this.docker.getContainer(idOrName).wait({ condition: 'not-running' })) as { StatusCode: number };
      return r.StatusCode;
    });
  }

  containerLogs(idOrName: string, opts?: LogOptions & { follow?: false }): Promise<string>;
  containerLogs(idOrName: string, opts: LogOptions & { follow: true }): Promise<Readable>;
  containerLogs(idOrName: string, opts: LogOptions & { follow?: boolean } = {}): Promise<string | Readable> {
    return this.call('containerLogs', idOrName, async () => {
      const c = this.docker.getContainer(idOrName);
      const base = {
        stdout: true,
        stderr: true,
        timestamps: opts.timestamps === true,
        ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
      };
      if (opts.follow) {
        const raw = await c.logs({ ...base, follow: true });
        const out = new DemuxStream();
        const src = raw as Readable;
        src.on('error', (e) => out.destroy(e)).pipe(out);
        // A consumer that stops reading early must also close the HTTP stream it came from.
        out.on('close', () => src.destroy());
        return out;
      }
      const buf = await c.logs({ ...base, follow: false });
      return demux(Buffer.isBuffer(buf) ? buf : Buffer.from(buf as unknown as string)).combined;
    });
  }

  stats(idOrName: string): Promise<ContainerStats> {
    return this.call('stats', idOrName, async () => {
      const s = (await this.docker.getContainer(idOrName).stats({ stream: false, 'one-shot': true })) as {
        memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
      };
      const m = s.memory_stats ?? {};
      // Like `docker stats`: page cache that can be reclaimed is not counted as usage.
      const cache = m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0;
      return { memUsage: Math.max(0, (m.usage ?? 0) - cache), memLimit: m.limit ?? 0 };
    });
  }

  // ---- exec ----

  async exec(container: string, argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const secrets = secretsIn(opts.env, opts.stdin);
    const result = await this.call(
      'exec',
      container,
      async () => {
        const c = this.docker.getContainer(container);
        const ex = await c.exec({
          Cmd: argv,
          AttachStdout: true,
          AttachStderr: true,
          AttachStdin: opts.stdin !== undefined,
          Tty: false,
          ...(opts.env ? { Env: engineEnv(opts.env) } : {}),
          ...(opts.user ? { User: opts.user } : {}),
          ...(opts.workdir ? { WorkingDir: opts.workdir } : {}),
        });
        const stream = await ex.start({ hijack: true, stdin: opts.stdin !== undefined });
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        const outDone = readAll(stdout);
        const errDone = readAll(stderr);
        const ended = new Promise<void>((resolve, reject) => {
          stream.on('end', resolve);
          stream.on('close', resolve);
          stream.on('error', reject);
        });
        demuxInto(stream, stdout, stderr);
        if (opts.stdin !== undefined) stream.end(engineStdin(opts.stdin));
        await ended;
        stdout.end();
        stderr.end();
        let info = await ex.inspect();
        for (let i = 0; info.Running && i < 50; i++) {
          await sleep(20);
          info = await ex.inspect();
        }
        return { exitCode: info.ExitCode ?? -1, stdout: (await outDone).toString('utf8'), stderr: (await errDone).toString('utf8') };
      },
      secrets,
    );
    if (opts.check && result.exitCode !== 0) {
      throw new ExecError(argv, `${this.serverName}/${container}`, result.exitCode, redactSecrets(result.stderr, secrets));
    }
    return result;
  }

  // ---- files ----

  putArchive(container: string, dir: string, tar: Buffer): Promise<void> {
    return this.call('putArchive', `${container}:${dir}`, async () => {
      const r = await this.docker.getContainer(container).putArchive(tar, { path: dir });
      const res = r as unknown as Readable | undefined;
      if (res && typeof res.resume === 'function') await readAll(res);
    });
  }

  getArchive(container: string, path: string): Promise<Buffer> {
    return this.call('getArchive', `${container}:${path}`, async () => readAll(await this.docker.getContainer(container).getArchive({ path })));
  }

  getArchiveStream(container: string, path: string): Promise<Readable> {
    return this.call('getArchive', `${container}:${path}`, () => getArchiveStreamOn(this.docker, container, path));
  }

  // ---- one-off tasks ----

  runStreaming(spec: CreateContainerSpec, opts: StreamingRunOptions = {}): Promise<StreamingRun> {
    return runStreamingOn(this.docker, spec, opts, { wrap: (op, target, err) => this.wrap(op, target, err, secretsIn(spec.env)) });
  }

  async runOnce(spec: CreateContainerSpec, opts: { timeoutMs: number }): Promise<RunOnceResult> {
    const id = await this.createContainer(spec);
    try {
      const c = this.docker.getContainer(id);
      await this.startContainer(id);
      // After start the container is running or already exited; `not-running` covers both.
      const waiting = this.waitContainer(id);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), opts.timeoutMs);
      });
      const outcome = await Promise.race([waiting, timeout]);
      clearTimeout(timer);
      let timedOut = false;
      let exitCode: number;
      if (outcome === 'timeout') {
        timedOut = true;
        await this.call('runOnce', spec.name, () => c.kill().catch((e) => ((e as { statusCode?: number }).statusCode === 409 ? undefined : Promise.reject(e))));
        exitCode = await waiting;
      } else {
        exitCode = outcome;
      }
      const logs = await this.containerLogs(id);
      return { exitCode, logs, timedOut };
    } finally {
      await this.removeContainer(id, { force: true }).catch(() => undefined);
    }
  }
}
