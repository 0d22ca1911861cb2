// Integration-test helpers that bring up the local Docker engine and the look-alike images.
// They throw (never skip) when the infrastructure cannot be provided, naming the script to run.
import { HarnessError, run, runScript } from './run.ts';

/** Targets understood by scripts/images.sh (a tag such as 'postgres:17' is accepted too). */
export type ImageTarget = 'busybox' | 'node' | 'debian' | 'debian-trixie' | 'redis' | 'postgres' | 'postgres15' | 'postgres17' | 'caddy' | 'nginx' | 'all';

/** Tags produced by each images.sh target. */
export const IMAGE_TAGS: Readonly<Record<Exclude<ImageTarget, 'all' | 'postgres'>, readonly string[]>> = {
  busybox: ['busybox:1.36', 'mini:1'],
  node: ['node:20-slim', 'node:20'],
  debian: ['debian:bookworm-minbase'],
  'debian-trixie': ['debian:trixie-minbase'],
  redis: ['redis:7'],
  postgres15: ['postgres:15'],
  postgres17: ['postgres:17'],
  caddy: ['caddy:2'],
  nginx: ['nginx:1.27'],
};

export interface EngineInfo {
  serverVersion: string;
}

/**
 * Makes sure a local Docker engine answers (scripts/engine.sh installs docker.io and starts
 * dockerd if needed). Throws a HarnessError with the script's message when it cannot.
 */
export async function ensureEngine(opts: { timeoutMs?: number } = {}): Promise<EngineInfo> {
  try {
    await runScript('engine.sh', ['--quiet'], { timeoutMs: opts.timeoutMs ?? 300_000 });
  } catch (err) {
    throw wrap(err, 'no Docker engine: scripts/engine.sh failed (run `bash scripts/engine.sh` as root to see why)');
  }
  const { stdout } = await run(['docker', 'version', '--format', '{{.Server.Version}}']);
  return { serverVersion: stdout.trim() };
}

/**
 * Builds the named look-alike images unless their tags already exist (scripts/images.sh).
 * First builds take up to ~2 min for everything; call it from beforeAll (hook timeout 600 s).
 */
export async function ensureImages(
  targets: readonly (ImageTarget | string)[] = ['busybox', 'node'],
  opts: { force?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  await ensureEngine();
  const args = [...(opts.force ? ['--force'] : []), ...targets];
  try {
    await runScript('images.sh', args, { timeoutMs: opts.timeoutMs ?? 580_000 });
  } catch (err) {
    throw wrap(err, `could not build images ${targets.join(' ')} (run \`bash scripts/images.sh ${args.join(' ')}\`)`);
  }
}

/** True if the local engine has the image tag. */
export async function hasImage(tag: string): Promise<boolean> {
  try {
    await run(['docker', 'image', 'inspect', '--format', '{{.Id}}', tag]);
    return true;
  } catch {
    return false;
  }
}

function wrap(err: unknown, message: string): Error {
  if (err instanceof HarnessError) return new HarnessError(`${message}\n${err.message}`, err.argv, err.exitCode, err.stderr);
  return new Error(`${message}: ${(err as Error).message}`);
}
