// Signature and token checks against HMACs computed here over the real-shaped fixture bodies:
// each provider's valid signature passes; missing, malformed, wrong-secret and tampered ones are
// refused with a reason that never shows the secret.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../util/secret.ts';
import { verifySignature } from './signature.ts';

const SECRET = 'whsec-0123456789abcdef';
const secret = new Secret(SECRET, 'webhook');
const body = readFileSync(new URL('./__fixtures__/github-push.json', import.meta.url));
const hmac = (key: string, b: Uint8Array | string) => createHmac('sha256', key).update(b).digest('hex');

describe('verifySignature', () => {
  it('accepts GitHub X-Hub-Signature-256 of the raw body', () => {
    expect(verifySignature('github', { 'X-Hub-Signature-256': `sha256=${hmac(SECRET, body)}` }, body, secret)).toEqual({ ok: true });
  });

  it('accepts Gitea X-Gitea-Signature (bare hex) and GitLab X-Gitlab-Token', () => {
    expect(verifySignature('gitea', { 'x-gitea-signature': hmac(SECRET, body) }, body, secret)).toEqual({ ok: true });
    expect(verifySignature('gitlab', new Headers({ 'X-Gitlab-Token': SECRET }), body, secret)).toEqual({ ok: true });
  });

  it('reads a fetch Headers object as well as a plain record', () => {
    expect(verifySignature('github', new Headers({ 'x-hub-signature-256': `sha256=${hmac(SECRET, body)}` }), body.toString('utf8'), secret).ok).toBe(true);
  });

  it.each([
    ['github', {}, 'missing-signature', /X-Hub-Signature-256 header is missing/i],
    ['github', { 'x-hub-signature-256': hmac(SECRET, body) }, 'malformed-signature', /"sha256="/],
    ['github', { 'x-hub-signature-256': 'sha256=zz' }, 'malformed-signature', /64 hex/],
    ['github', { 'x-hub-signature-256': `sha256=${hmac('another-secret-value', body)}` }, 'bad-signature', /does not match/],
    ['gitea', { 'x-gitea-signature': `sha256=${hmac(SECRET, body)}` }, 'malformed-signature', /64 hex/],
    ['gitea', { 'x-gitea-signature': hmac('another-secret-value', body) }, 'bad-signature', /does not match/],
    ['gitlab', {}, 'missing-signature', /X-Gitlab-Token header is missing/],
    ['gitlab', { 'x-gitlab-token': `${SECRET}x` }, 'bad-signature', /does not match/],
    ['gitlab', { 'x-gitlab-token': SECRET.slice(0, 4) }, 'bad-signature', /does not match/],
  ] as const)('%s %j → %s', (provider, headers, refusal, reason) => {
    const r = verifySignature(provider, headers, body, secret);
    expect(r).toMatchObject({ ok: false, refusal });
    if (!r.ok) {
      expect(r.reason).toMatch(reason);
      expect(r.reason).not.toContain(SECRET);
    }
  });

  it('refuses a body changed after signing', () => {
    const sig = `sha256=${hmac(SECRET, body)}`;
    const tampered = body.toString('utf8').replace('refs/heads/develop', 'refs/tags/v9.9.9');
    expect(verifySignature('github', { 'x-hub-signature-256': sig }, tampered, secret)).toMatchObject({ ok: false, refusal: 'bad-signature' });
  });

  it('refuses everything when no secret is set, even an unsigned request', () => {
    expect(verifySignature('github', {}, body, undefined)).toMatchObject({ ok: false, refusal: 'no-secret' });
    expect(verifySignature('gitlab', { 'x-gitlab-token': '' }, body, new Secret(''))).toMatchObject({ ok: false, refusal: 'no-secret' });
  });
});
