// The operator's age identity, for reading the encrypted secrets files and SOPS files: from the
// first of --identity FILE, $SLIPWAY_AGE_IDENTITY_FILE, $SLIPWAY_AGE_KEY (the key itself),
// $SOPS_AGE_KEY_FILE, $SOPS_AGE_KEY (what a SOPS team already has). Read only when a file must be
// decrypted; the key is never printed, not even in part.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../diag/errors.ts';
import { type AgeIdentities, parseIdentities } from '../secrets/age-crypt.ts';

export interface IdentityOptions {
  /** `--identity FILE`. */
  identityFile?: string;
  env: Record<string, string | undefined>;
  /** Relative identity paths are from here. */
  cwd: string;
}

export const IDENTITY_SOURCES = '--identity FILE, SLIPWAY_AGE_IDENTITY_FILE, SLIPWAY_AGE_KEY, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY';

/** The identities from the first source given, or undefined when none is. */
export async function loadIdentities(o: IdentityOptions): Promise<AgeIdentities | undefined> {
  const file = (path: string, label: string) => {
    const abs = resolve(o.cwd, path.replace(/^~(?=\/)/, o.env.HOME ?? '~'));
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      throw new UserError(
        `cannot read the age identity file ${path} (${label}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'give the path of a file made by age-keygen',
      );
    }
    return parseIdentities(text, `${label} ${path}`);
  };
  if (o.identityFile) return file(o.identityFile, '--identity');
  if (o.env.SLIPWAY_AGE_IDENTITY_FILE) return file(o.env.SLIPWAY_AGE_IDENTITY_FILE, 'SLIPWAY_AGE_IDENTITY_FILE');
  if (o.env.SLIPWAY_AGE_KEY) return parseIdentities(o.env.SLIPWAY_AGE_KEY, 'SLIPWAY_AGE_KEY');
  if (o.env.SOPS_AGE_KEY_FILE) return file(o.env.SOPS_AGE_KEY_FILE, 'SOPS_AGE_KEY_FILE');
  if (o.env.SOPS_AGE_KEY) return parseIdentities(o.env.SOPS_AGE_KEY, 'SOPS_AGE_KEY');
  return undefined;
}

/** The identities, or a UserError saying that `what` needs one and how to give it. */
export async function requireIdentities(o: IdentityOptions, what: string): Promise<AgeIdentities> {
  const ids = await loadIdentities(o);
  if (ids) return ids;
  throw new UserError(
    `${what} needs your age identity, and none was given`,
    `give it with ${IDENTITY_SOURCES} (e.g. export SLIPWAY_AGE_IDENTITY_FILE=~/.config/slipway/age.key)`,
  );
}
