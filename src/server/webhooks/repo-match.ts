// Which apps a push deploys: the apps built from git whose repository in
// `control_plane.webhooks.repositories` is the one pushed to. A git host names its repository by
// its clone URLs and `owner/name`; the configured URL may be another address of the same
// repository (a mirror, `git://` inside a private network), so it matches when it is one of the
// push's URLs, or when its path ends with the repository's full name (`…/acme/shop(.git)`).
import type { Fleet } from '../../config/fleet.ts';
import type { PushEvent } from './payloads.ts';

/** The apps of `env` that `push` deploys, in fleet order. */
export function appsForPush(fleet: Pick<Fleet, 'apps' | 'controlPlane'>, env: string, push: Pick<PushEvent, 'repo'>): string[] {
  const repos = fleet.controlPlane.webhooks.repositories;
  return fleet.apps
    .filter((a) => a.perEnv[env] && a.source.kind === 'git' && repos[a.name] && sameRepository(repos[a.name]!.url, push.repo))
    .map((a) => a.name);
}

/** Whether the configured `url` is the repository the push names. */
export function sameRepository(url: string, repo: PushEvent['repo']): boolean {
  const mine = normalize(url);
  for (const theirs of [repo.cloneUrl, repo.sshUrl]) if (theirs && normalize(theirs) === mine) return true;
  const name = trimName(repo.fullName).toLowerCase();
  if (!name) return false;
  const path = pathOf(url).toLowerCase();
  return path === name || path.endsWith(`/${name}`);
}

function normalize(url: string): string {
  return trimName(url).toLowerCase();
}

function trimName(s: string): string {
  return s
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
}

/** The path part of a URL (`scheme://host/path`), an scp-like address (`user@host:path`) or a local path, without `.git`. */
function pathOf(url: string): string {
  const u = trimName(url);
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(u);
  if (scheme) return scheme[1] ?? '';
  const scp = /^[^/:]+:(.*)$/.exec(u);
  return scp ? scp[1]! : u;
}
