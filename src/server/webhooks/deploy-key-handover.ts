// The one place the webhook's deploy key leaves its Secret wrapper: written to a 0600 file in a
// fresh private directory for ssh to read during one fetch (git-fetch.ts removes the directory
// afterwards). Nothing else of the key is kept, printed or logged.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Secret } from '../../util/secret.ts';

/** Writes `key` to `{fresh dir under parent}/id` (0600); returns the directory and the file. */
export async function writeDeployKey(parent: string, key: Secret): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(parent, 'deploy-key-'));
  const file = join(dir, 'id');
  const text = key.reveal();
  // OpenSSH refuses a key file without its final newline.
  await writeFile(file, text.endsWith('\n') ? text : `${text}\n`, { mode: 0o600, flag: 'wx' });
  return { dir, file };
}
