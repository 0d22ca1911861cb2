// Push and tag events of GitHub, GitLab and Gitea, parsed (zod) into one shape: which repository,
// a branch or a tag, its name, the commit, and whether the ref was deleted. Other events (ping,
// issues, merge requests…) and refs that are neither branches nor tags are ignored with a reason;
// a body that is not the event it claims to be is refused.
import { z } from 'zod';
import type { Provider } from './headers.ts';

export interface PushEvent {
  provider: Provider;
  repo: {
    /** HTTPS clone URL. */
    cloneUrl: string;
    /** SSH clone URL, for fetching with a deploy key (when the provider sends one). */
    sshUrl?: string;
    /** `owner/name` (GitLab: the path with its namespace). */
    fullName: string;
  };
  kind: 'branch' | 'tag';
  /** Branch or tag name, without `refs/heads/` or `refs/tags/`. */
  name: string;
  /** The commit the ref points at now (for a deletion: all zeros). */
  sha: string;
  deleted: boolean;
}

export type ParsedDelivery = { outcome: 'push'; push: PushEvent } | { outcome: 'ignored'; reason: string } | { outcome: 'malformed'; reason: string };

const ZERO_SHA = /^0+$/;
const sha = z.string().regex(/^[0-9a-f]{7,64}$/i, 'expected a commit id');

const githubLike = z.object({
  ref: z.string().min(1),
  after: sha,
  deleted: z.boolean().optional(),
  head_commit: z.object({ id: sha }).nullish(),
  repository: z.object({ full_name: z.string().min(1), clone_url: z.string().min(1), ssh_url: z.string().min(1).optional() }),
});

const gitlab = z.object({
  object_kind: z.enum(['push', 'tag_push']),
  ref: z.string().min(1),
  after: sha,
  checkout_sha: sha.nullish(),
  project: z.object({ path_with_namespace: z.string().min(1), git_http_url: z.string().min(1), git_ssh_url: z.string().min(1).optional() }),
});

/** Which events carry pushes, per provider (GitHub and Gitea send tag pushes as `push` too). */
const PUSH_EVENTS: Record<Provider, readonly string[]> = { github: ['push'], gitea: ['push'], gitlab: ['Push Hook', 'Tag Push Hook'] };

/** The push (or tag push) in a delivery's body, or why it is ignored or malformed. */
export function parseDelivery(provider: Provider, event: string | undefined, body: string): ParsedDelivery {
  if (event === undefined) return { outcome: 'malformed', reason: `no ${provider} event header` };
  if (!PUSH_EVENTS[provider].includes(event)) return { outcome: 'ignored', reason: `a "${event}" event is not a push or a tag` };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { outcome: 'malformed', reason: 'the body is not JSON (set the webhook content type to application/json)' };
  }
  const parsed = provider === 'gitlab' ? fromGitlab(json) : fromGithubLike(json);
  if ('reason' in parsed) return { outcome: 'malformed', reason: parsed.reason };
  const ref = splitRef(parsed.ref);
  if (!ref) return { outcome: 'ignored', reason: `${parsed.ref} is neither a branch nor a tag` };
  return { outcome: 'push', push: { provider, repo: parsed.repo, ...ref, sha: parsed.sha, deleted: parsed.deleted } };
}

interface Fields {
  ref: string;
  repo: PushEvent['repo'];
  sha: string;
  deleted: boolean;
}

function fromGithubLike(json: unknown): Fields | { reason: string } {
  const r = githubLike.safeParse(json);
  if (!r.success) return { reason: problem(r.error) };
  const p = r.data;
  const deleted = p.deleted ?? ZERO_SHA.test(p.after);
  return {
    ref: p.ref,
    repo: { cloneUrl: p.repository.clone_url, fullName: p.repository.full_name, ...(p.repository.ssh_url ? { sshUrl: p.repository.ssh_url } : {}) },
    // An annotated tag's `after` is the tag object; head_commit is the commit it points at.
    sha: deleted ? p.after : (p.head_commit?.id ?? p.after),
    deleted,
  };
}

function fromGitlab(json: unknown): Fields | { reason: string } {
  const r = gitlab.safeParse(json);
  if (!r.success) return { reason: problem(r.error) };
  const p = r.data;
  const deleted = ZERO_SHA.test(p.after);
  return {
    ref: p.ref,
    repo: { cloneUrl: p.project.git_http_url, fullName: p.project.path_with_namespace, ...(p.project.git_ssh_url ? { sshUrl: p.project.git_ssh_url } : {}) },
    sha: deleted ? p.after : (p.checkout_sha ?? p.after),
    deleted,
  };
}

function splitRef(ref: string): { kind: 'branch' | 'tag'; name: string } | undefined {
  if (ref.startsWith('refs/heads/') && ref.length > 'refs/heads/'.length) return { kind: 'branch', name: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/') && ref.length > 'refs/tags/'.length) return { kind: 'tag', name: ref.slice('refs/tags/'.length) };
  return undefined;
}

function problem(e: z.ZodError): string {
  const first = e.issues[0];
  if (!first) return 'the body is not a push event';
  return `the body is not a push event: ${first.path.length ? `${first.path.join('.')}: ` : ''}${first.message}`;
}
