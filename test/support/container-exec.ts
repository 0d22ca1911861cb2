// Runs a command inside a running container through the Engine API (docker exec), and splits
// Docker's multiplexed output (8-byte frame headers: stream type, then length) into stdout and
// stderr, incrementally, so a long-running exec can be read line by line.
import type Docker from 'dockerode';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Feeds Docker's multiplexed stream frames to `onFrame` (1 = stdout, 2 = stderr) as they complete. */
export function demuxer(onFrame: (stream: number, data: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length > 0 ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      onFrame(buf[0]!, buf.subarray(8, 8 + len));
      buf = buf.subarray(8 + len);
    }
  };
}

/** `docker exec CONTAINER ARGV…`: its output and exit code once it ends. */
export async function execIn(docker: Docker, container: string, argv: string[], env: string[] = []): Promise<ExecResult> {
  const ex = await docker.getContainer(container).exec({ Cmd: argv, Env: env, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const feed = demuxer((s, d) => (s === 2 ? err : out).push(Buffer.from(d)));
  await new Promise<void>((resolve, reject) => {
    stream.on('data', feed);
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const info = await ex.inspect();
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode: info.ExitCode };
}
