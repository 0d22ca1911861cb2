// Push and tag payloads of the three providers (fixtures built by hand from their documented
// shapes) parse into one shape; other events, other refs and deletions are told apart; bodies
// that are not what the event header says are malformed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDelivery } from './payloads.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}.json`, import.meta.url), 'utf8');
const edit = (name: string, f: (j: Record<string, unknown>) => void) => {
  const j = JSON.parse(fixture(name)) as Record<string, unknown>;
  f(j);
  return JSON.stringify(j);
};

describe('parseDelivery', () => {
  it('GitHub branch push', () => {
    expect(parseDelivery('github', 'push', fixture('github-push'))).toEqual({
      outcome: 'push',
      push: {
        provider: 'github',
        repo: { cloneUrl: 'https://github.com/acme/shop.git', sshUrl: 'git@github.com:acme/shop.git', fullName: 'acme/shop' },
        kind: 'branch',
        name: 'develop',
        sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        deleted: false,
      },
    });
  });

  it('GitHub tag push: the commit is head_commit, not the annotated tag object in `after`', () => {
    const r = parseDelivery('github', 'push', fixture('github-tag'));
    expect(r).toMatchObject({ outcome: 'push', push: { kind: 'tag', name: 'v1.3.0', sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', deleted: false } });
  });

  it('GitLab push and tag push (commit from checkout_sha)', () => {
    expect(parseDelivery('gitlab', 'Push Hook', fixture('gitlab-push'))).toEqual({
      outcome: 'push',
      push: {
        provider: 'gitlab',
        repo: { cloneUrl: 'https://gitlab.example.com/acme/shop.git', sshUrl: 'git@gitlab.example.com:acme/shop.git', fullName: 'acme/shop' },
        kind: 'branch',
        name: 'develop',
        sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        deleted: false,
      },
    });
    expect(parseDelivery('gitlab', 'Tag Push Hook', fixture('gitlab-tag'))).toMatchObject({
      outcome: 'push',
      push: { kind: 'tag', name: 'v1.3.0', sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' },
    });
  });

  it('Gitea push, and a tag pushed as a push event', () => {
    expect(parseDelivery('gitea', 'push', fixture('gitea-push'))).toMatchObject({
      outcome: 'push',
      push: { provider: 'gitea', repo: { fullName: 'acme/shop', cloneUrl: 'https://git.example.com/acme/shop.git' }, kind: 'branch', name: 'develop' },
    });
    const tag = edit('gitea-push', (j) => (j.ref = 'refs/tags/v1.3.0'));
    expect(parseDelivery('gitea', 'push', tag)).toMatchObject({ outcome: 'push', push: { kind: 'tag', name: 'v1.3.0' } });
  });

  it('branch names with slashes keep them', () => {
    const b = edit('github-push', (j) => (j.ref = 'refs/heads/feature/login'));
    expect(parseDelivery('github', 'push', b)).toMatchObject({ push: { kind: 'branch', name: 'feature/login' } });
  });

  it('deletions are flagged: GitHub by `deleted`, GitLab and Gitea by an all-zero `after`', () => {
    const gh = edit('github-push', (j) => {
      j.deleted = true;
      j.after = '0'.repeat(40);
      j.head_commit = null;
    });
    expect(parseDelivery('github', 'push', gh)).toMatchObject({ outcome: 'push', push: { deleted: true, sha: '0'.repeat(40) } });
    const gl = edit('gitlab-push', (j) => {
      j.after = '0'.repeat(40);
      j.checkout_sha = null;
    });
    expect(parseDelivery('gitlab', 'Push Hook', gl)).toMatchObject({ push: { deleted: true } });
    const gt = edit('gitea-push', (j) => (j.after = '0'.repeat(40)));
    expect(parseDelivery('gitea', 'push', gt)).toMatchObject({ push: { deleted: true } });
  });

  it.each([
    ['github', 'ping'],
    ['github', 'create'],
    ['gitea', 'delete'],
    ['gitlab', 'Merge Request Hook'],
  ] as const)('ignores a %s "%s" event', (provider, event) => {
    expect(parseDelivery(provider, event, '{}')).toEqual({ outcome: 'ignored', reason: `a "${event}" event is not a push or a tag` });
  });

  it('ignores refs that are neither branches nor tags', () => {
    const notes = edit('github-push', (j) => (j.ref = 'refs/notes/commits'));
    expect(parseDelivery('github', 'push', notes)).toEqual({ outcome: 'ignored', reason: 'refs/notes/commits is neither a branch nor a tag' });
  });

  it('a body that is not JSON, or not a push, is malformed (with the field at fault)', () => {
    expect(parseDelivery('github', 'push', 'payload=%7B%7D')).toMatchObject({ outcome: 'malformed', reason: /not JSON.*application\/json/ });
    expect(parseDelivery('github', 'push', fixture('gitlab-push'))).toMatchObject({ outcome: 'malformed', reason: /repository\.full_name/ });
    expect(parseDelivery('gitlab', 'Push Hook', fixture('github-push'))).toMatchObject({ outcome: 'malformed', reason: /object_kind/ });
    expect(parseDelivery('github', undefined, fixture('github-push'))).toMatchObject({ outcome: 'malformed', reason: 'no github event header' });
  });
});
