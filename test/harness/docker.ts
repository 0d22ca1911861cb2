// Small docker-CLI helpers for integration tests: build the echo app, find container IPs, wait
// for HTTP. Every call is an argv array; resources are named by the caller and removed by name.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, run } from './run.ts';

/** Path of the echo sample app used by every example. */
export const ECHO_APP_DIR = join(REPO_ROOT, 'examples', 'apps', 'echo');

/** Runs `docker …` against the local engine (or `dockerHost`) and returns stdout. */
export async function docker(args: readonly string[], opts: { dockerHost?: string; timeoutMs?: number; input?: string } = {}): Promise<string> {
  const host = opts.dockerHost ? ['-H', opts.dockerHost] : [];
  const { stdout } = await run(['docker', ...host, ...args], { timeoutMs: opts.timeoutMs, input: opts.input });
  return stdout.trim();
}

/** Builds examples/apps/echo as `tag` with the legacy builder (never pulls; needs node:20-slim). */
export async function buildEchoImage(tag: string, opts: { release?: string; dockerHost?: string } = {}): Promise<void> {
  const args = ['build', '-q', '-t', tag, '--build-arg', `RELEASE=${opts.release ?? 'dev'}`, ECHO_APP_DIR];
  const host = opts.dockerHost ? ['-H', opts.dockerHost] : [];
  await run(['docker', ...host, ...args], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 180_000 });
}

/** IP address of a container on a user-defined network (reachable from the host). */
export async function containerIp(container: string, network: string, opts: { dockerHost?: string } = {}): Promise<string> {
  const out = await docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', container], opts);
  const nets = JSON.parse(out) as Record<string, { IPAddress?: string }>;
  const ip = nets[network]?.IPAddress;
  if (!ip) throw new Error(`container ${container} has no address on network ${network}`);
  return ip;
}

/** Polls `url` until it answers `expectStatus` (default 200); returns the last status and body. */
export async function waitForHttp(
  url: string,
  opts: { timeoutMs?: number; expectStatus?: number; intervalMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.status === (opts.expectStatus ?? 200)) return { status: res.status, body };
      last = `HTTP ${res.status}: ${body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${opts.expectStatus ?? 200} within ${opts.timeoutMs ?? 30_000} ms (last: ${last})`);
    await sleep(opts.intervalMs ?? 200);
  }
}

/** Removes containers, networks and images by name, ignoring ones that are already gone. */
export async function removeQuietly(
  kind: 'container' | 'network' | 'image' | 'volume',
  names: readonly string[],
  opts: { dockerHost?: string } = {},
): Promise<void> {
  for (const name of names) {
    const args = kind === 'container' ? ['rm', '-f', '-v', name] : [kind, 'rm', ...(kind === 'image' ? ['-f'] : []), name];
    await docker(args, opts).catch(() => undefined);
  }
}
