// The content digest of a repository file or folder that Slipway ships to a server (a compose bind
// mount, config or secret). One algorithm for both places content comes from, so equal content
// gives an equal digest: the working tree (when the fleet is loaded) and the tree of the deployed
// git commit (when a deploy ships it). Only what git keeps counts: each file's path, whether it is
// executable, a symlink's target and the bytes; never owners, times or empty directories.
import { createHash } from 'node:crypto';

export interface TreeEntry {
  /** `/`-separated path inside the shipped folder; '' for a single file. */
  path: string;
  kind: 'file' | 'symlink';
  /** Any execute bit set (git's 100755). */
  executable: boolean;
  /** The file's bytes, or a symlink's target. */
  content: Buffer | string;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** sha256 (64 hex) of a file (`entries` holds one entry with path '') or of a folder's entries. */
export function treeDigest(type: 'file' | 'dir', entries: readonly TreeEntry[]): string {
  const lines = [...entries]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => `${e.path}\u0000${e.kind === 'symlink' ? 'link' : e.executable ? '755' : '644'}\u0000${sha256(e.content)}\n`);
  return sha256(`${type}\n${lines.join('')}`);
}

/**
 * Where one shipped content lives in the environment's files volume: a digest of the content and
 * of how it is shipped (mode, owner), so the same bytes shipped as a secret and as a config never
 * share a path.
 */
export function contentAddress(digest: string, how: { mode?: number; uid?: number; gid?: number; secret?: boolean }): string {
  return sha256(`${digest}\u0000${how.secret ? 's' : 'f'}\u0000${how.mode ?? ''}\u0000${how.uid ?? ''}\u0000${how.gid ?? ''}`);
}
