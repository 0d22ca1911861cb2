// The writer app of the move suites (test/fixtures/apps/writer): its server and the `pg` driver
// bundled into one file with esbuild, built into a local image (no registry) and loaded into the
// simulated hosts.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO } from './cli.ts';

export const WRITER_IMAGE = 'slipway-test/writer:1';

/** Builds WRITER_IMAGE on the local engine (node:20-slim must be there). */
export async function buildWriterImage(tag = WRITER_IMAGE): Promise<string> {
  const src = join(REPO, 'test', 'fixtures', 'apps', 'writer');
  const dir = mkdtempSync(join(tmpdir(), 'slipway-writer-'));
  try {
    await build({
      entryPoints: [join(src, 'server.js')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: join(dir, 'writer.js'),
      external: ['pg-native'],
      logLevel: 'error',
    });
    copyFileSync(join(src, 'Dockerfile'), join(dir, 'Dockerfile'));
    execFileSync('docker', ['build', '-q', '-t', tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
