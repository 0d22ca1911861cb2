// Webhook authenticity, checked in constant time before the body is read: GitHub signs the raw
// body with HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>`), Gitea likewise (`X-Gitea-Signature:
// <hex>`), and GitLab sends the shared secret itself (`X-Gitlab-Token`). A missing or bad signature
// is a typed refusal with a reason; the secret never appears in it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../util/secret.ts';
import { type HeaderSource, headerOf, type Provider } from './headers.ts';

export type SignatureRefusal = 'no-secret' | 'missing-signature' | 'malformed-signature' | 'bad-signature';

export type SignatureCheck = { ok: true } | { ok: false; refusal: SignatureRefusal; reason: string };

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

const refuse = (refusal: SignatureRefusal, reason: string): SignatureCheck => ({ ok: false, refusal, reason });

/** Whether the request carries a valid signature (or token) of `secret` for its provider. */
export function verifySignature(provider: Provider, headers: HeaderSource, rawBody: Uint8Array | string, secret: Secret | undefined): SignatureCheck {
  if (!secret || secret.empty) return refuse('no-secret', `no webhook secret is set for ${provider}: every delivery is refused until one is`);
  if (provider === 'gitlab') {
    const token = headerOf(headers, 'x-gitlab-token');
    if (token === undefined || token === '') return refuse('missing-signature', 'the X-Gitlab-Token header is missing');
    // Digests of both sides have one length, so the comparison takes the same time whatever was sent.
    return timingSafeEqual(sha256(token), sha256(secret.reveal())) ? { ok: true } : refuse('bad-signature', 'the X-Gitlab-Token does not match the secret');
  }
  const name = provider === 'github' ? 'x-hub-signature-256' : 'x-gitea-signature';
  const sent = headerOf(headers, name);
  if (sent === undefined || sent === '') return refuse('missing-signature', `the ${name} header is missing`);
  const hex = provider === 'github' ? (sent.startsWith('sha256=') ? sent.slice('sha256='.length) : undefined) : sent;
  if (hex === undefined || !HEX_SHA256.test(hex)) {
    return refuse('malformed-signature', provider === 'github' ? `${name} is not "sha256=" and 64 hex digits` : `${name} is not 64 hex digits`);
  }
  const expected = createHmac('sha256', secret.reveal()).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected) ? { ok: true } : refuse('bad-signature', `${name} does not match the body signed with the secret`);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
