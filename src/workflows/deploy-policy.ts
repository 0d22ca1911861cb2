// Deploy policy (pure): which refs or images an environment accepts. Prod-like environments say
// `deploy: { tags: "v*" }` and refuse anything else with a message that says why and what to do.
import type { Environment } from '../config/fleet.ts';
import { UserError } from '../diag/errors.ts';

export interface Candidate {
  /** What will be deployed, as the user named it. */
  ref?: string;
  kind?: 'tag' | 'branch' | 'commit';
  /** For --image deploys: the image reference. */
  image?: string;
}

/** Shell-style glob (`*`, `?`) match, anchored. */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(text);
}

/** Repository and tag of an image reference; a registry's `host:port/` is not a tag. */
export function imageTag(image: string): { repo: string; tag: string } {
  const ref = image.split('@')[0]!;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repo: ref, tag: 'latest' };
}

/** Throws a UserError explaining the refusal; returns nothing when the policy allows it. */
export function enforcePolicy(env: Environment, c: Candidate): void {
  const p = env.deploy;
  if (p.kind === 'any') return;
  if (c.image !== undefined) {
    const { repo, tag } = imageTag(c.image);
    if (p.kind === 'tags' && !globMatch(p.pattern, tag)) {
      throw new UserError(
        `${env.name} only accepts releases tagged "${p.pattern}"; image ${c.image} has tag "${tag}"`,
        `tag the image to match (e.g. ${repo}:v1.2.3), or deploy a git tag with --ref`,
      );
    }
    return;
  }
  if (p.kind === 'tags') {
    if (c.kind !== 'tag' || !c.ref || !globMatch(p.pattern, c.ref)) {
      throw new UserError(
        `${env.name} deploys only from a git tag matching "${p.pattern}"; "${c.ref ?? '(none)'}" is ${c.kind === 'tag' ? 'a tag that does not match' : `a ${c.kind ?? 'ref'}, not a tag`}`,
        `tag the commit (git tag v1.2.3 && git push --tags) and run: slipway deploy APP ${env.name} --ref v1.2.3`,
      );
    }
    return;
  }
  if (c.kind !== 'branch' || !c.ref || !p.branches.includes(c.ref)) {
    throw new UserError(
      `${env.name} deploys only from branch ${p.branches.map((b) => `"${b}"`).join(' or ')}; got ${c.kind ?? 'ref'} "${c.ref ?? '(none)'}"`,
      `run: slipway deploy APP ${env.name} --ref ${p.branches[0]}`,
    );
  }
}

/** The ref to deploy when --ref is not given. */
export function defaultRef(env: Environment, currentBranch: string | undefined): string {
  if (env.deploy.kind === 'branch') return env.deploy.branches[0]!;
  if (env.deploy.kind === 'tags')
    throw new UserError(`${env.name} deploys only from a tag matching "${env.deploy.pattern}": pass --ref`, `e.g. slipway deploy APP ${env.name} --ref v1.2.3`);
  return currentBranch ?? 'HEAD';
}
