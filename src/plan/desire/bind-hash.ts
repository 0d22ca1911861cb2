// The part of a container's bind mounts that enters its spec hash (hash.ts): source, target,
// read-only flag and how repository content is shipped, with the content's digest; never the path
// on the server, and never a secret's content (a secret counts by its path, as env secrets count by
// their name).
import type { ContainerBind } from './desired.ts';

export function bindsForHash(binds: readonly ContainerBind[]): unknown[] {
  return binds.map((b) => {
    if (!b.repo) return { source: b.source, target: b.target, readOnly: b.readOnly };
    const { hostPath: _where, digest, ...how } = b.repo;
    return { source: b.source, target: b.target, readOnly: b.readOnly, repo: b.repo.secret ? how : { ...how, digest: digest ?? null } };
  });
}
