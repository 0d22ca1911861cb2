// The `--identity FILE` option of the commands that read the repository's encrypted secrets files
// (secret …, deploy, up), and the SecretFiles reader a command builds from it and the environment.
import type { Fleet } from '../config/fleet.ts';
import { SecretFiles } from '../workflows/secrets-file.ts';
import type { CliContext } from './context.ts';

export const IDENTITY_HELP = 'age identity file for the encrypted secrets files (default: $SLIPWAY_AGE_IDENTITY_FILE, else the key in $SLIPWAY_AGE_KEY)';

export function secretFilesFor(ctx: CliContext, fleet: Fleet, opts: { identity?: string }): SecretFiles {
  return new SecretFiles(fleet, { env: ctx.env, cwd: ctx.cwd, identityFile: opts.identity });
}
