// One-off containers whose stdout (and stdin) are streams, for data that must never be held in
// memory whole: a pg_dump, a file written into a volume, an archive read back. The container is
// attached before it starts (nothing is lost), stdout is demultiplexed with backpressure (a slow
// reader slows the container down, memory stays bounded), stderr goes to a callback and its tail is
// kept for errors, and the container is removed once it exits. Used by DockerodeEngine.runStreaming.
import type { Duplex, Readable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import { parseFrames } from './demux.ts';
import type { CreateContainerSpec, StreamingRun, StreamingRunOptions } from './docker-engine.ts';
import { createBody } from './docker-json.ts';

/** How much of the end of stderr `done` reports. */
const STDERR_TAIL = 64 * 1024;

/** Docker's framed attach stream → the container's stdout bytes; stderr frames go to `onStderr`. */
class StdoutDemux extends Transform {
  #pending: Buffer = Buffer.alloc(0);
  constructor(private readonly onStderr: (b: Buffer) => void) {
    super({ highWaterMark: 1024 * 1024 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { frames, rest } = parseFrames(this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk);
    this.#pending = rest.length ? Buffer.from(rest) : Buffer.alloc(0);
    for (const f of frames) {
      if (f.stream === 2) this.onStderr(f.data);
      else this.push(f.data);
    }
    cb();
  }
  override _flush(cb: TransformCallback): void {
    if (this.#pending.length) this.push(this.#pending);
    cb();
  }
}

export interface StreamingHooks {
  /** Wraps an engine failure (names the server, op and target). */
  wrap(op: string, target: string, err: unknown): Error;
}

export async function runStreamingOn(docker: Docker, spec: CreateContainerSpec, opts: StreamingRunOptions, hooks: StreamingHooks): Promise<StreamingRun> {
  const withStdin = opts.stdin !== undefined;
  // Its output goes to the reader only: with the daemon's default log driver every byte would also
  // be written, JSON-escaped, to the container's log file on the server (a 305 MB pg_dump made a
  // 1 GB log, in plaintext, and the daemon's encoding and writes slowed the backup; see
  // docs/decisions.md, backup cost). Nothing reads those logs: the container is removed once it exits.
  const logging = spec.logging ?? { driver: 'none', options: {} };
  const body = {
    ...createBody({ ...spec, logging }),
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: withStdin,
    OpenStdin: withStdin,
    StdinOnce: withStdin,
    Tty: false,
  };
  let container: Docker.Container;
  try {
    container = await docker.createContainer(body as Docker.ContainerCreateOptions);
    for (const n of spec.networks.slice(1)) await docker.getNetwork(n.name).connect({ Container: container.id, EndpointConfig: { Aliases: n.aliases } });
  } catch (err) {
    throw hooks.wrap('runStreaming', spec.name, err);
  }
  const remove = () => container.remove({ force: true }).catch(() => undefined);
  let stream: Duplex;
  try {
    stream = (await container.attach({ stream: true, stdin: withStdin, stdout: true, stderr: true, hijack: withStdin })) as unknown as Duplex;
    await container.start();
  } catch (err) {
    await remove();
    throw hooks.wrap('runStreaming', spec.name, err);
  }
  let tail: Buffer = Buffer.alloc(0);
  const stdout = new StdoutDemux((b) => {
    tail = tail.length + b.length > STDERR_TAIL ? Buffer.concat([tail, b]).subarray(-STDERR_TAIL) : Buffer.concat([tail, b]);
    opts.onStderr?.(b);
  });
  stream.on('error', (e) => stdout.destroy(e));
  stream.pipe(stdout);
  // A reader that gives up early must not leave the attach stream (and the container) hanging.
  stdout.on('close', () => {
    if (!stream.readableEnded) stream.destroy();
  });
  if (opts.stdin) {
    const input = opts.stdin;
    input.on('error', () => stream.end());
    input.pipe(stream as NodeJS.WritableStream, { end: true });
  }
  const done = (async () => {
    try {
      const r = (await container.wait({ condition: 'not-running' })) as { StatusCode: number };
      // The attach stream ends once the container has exited; wait for its last frames.
      if (!stream.readableEnded && !stream.destroyed) await new Promise<void>((res) => stream.once('close', res).once('end', res));
      return { exitCode: r.StatusCode, stderr: tail.toString('utf8') };
    } catch (err) {
      throw hooks.wrap('runStreaming', spec.name, err);
    } finally {
      await remove();
    }
  })();
  done.catch(() => undefined);
  return {
    id: container.id,
    stdout,
    done,
    kill: async () => {
      await container.kill().catch(() => undefined);
    },
  };
}

/** A tar of `path` in the container, as a stream (never buffered whole). */
export async function getArchiveStreamOn(docker: Docker, container: string, path: string): Promise<Readable> {
  return (await docker.getContainer(container).getArchive({ path })) as unknown as Readable;
}
