// Starts and kills the test S3 server (s3-server.mjs) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export interface S3Server {
  endpoint: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL, and wait for it to be gone. */
  kill(): Promise<void>;
}

export async function startS3Server(opts: { dir: string; port: number; accessKey: string; secretKey: string; bucket: string }): Promise<S3Server> {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 's3-server.mjs'), opts.dir, String(opts.port), opts.accessKey, opts.secretKey, opts.bucket],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`s3 server exited ${code}: ${err}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    child,
    kill: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
