// The one place in src/dns/ where a DNS credential leaves its Secret wrapper: the TSIG key becomes
// the HMAC key (bytes, never text that could reach a message), the Cloudflare token becomes the
// client's bearer token. Nothing here formats, logs or returns the value as part of a message.
import type { Secret } from '../util/secret.ts';

/** The TSIG secret (base64, as tsig-keygen writes it) as HMAC key bytes; undefined when it is not base64. */
export function tsigKeyBytes(secret: Secret): Buffer | undefined {
  const text = secret.reveal().trim();
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

/** The API token handed to the Cloudflare client. */
export function apiToken(secret: Secret): string {
  return secret.reveal();
}
