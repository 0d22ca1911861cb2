// Login sessions. A session id is 32 random bytes (base64url) handed to the browser in the
// `slipway_session` cookie (HttpOnly, Secure, SameSite=Strict, Path=/); the store keeps only its
// sha256, the user and the expiry (from the injected clock). The CSRF token of a session is an
// HMAC of its id: per session, nothing more to store, and useless without the cookie.
import { z } from 'zod';
import { UserError } from '../../diag/errors.ts';
import type { FileStore } from '../store/file-store.ts';
import { hmacBase64url, randomSecret, sha256Hex } from './digest.ts';

export const SESSION_COOKIE = 'slipway_session';
export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const DOC = 'sessions';

const sessionRecord = z.object({ idHash: z.string(), user: z.string(), createdAt: z.number(), expiresAt: z.number() });
type SessionRecord = z.infer<typeof sessionRecord>;
const sessionsDoc = z.object({ sessions: z.array(sessionRecord) });
type SessionsDoc = z.infer<typeof sessionsDoc>;

export interface Session {
  user: string;
  csrfToken: string;
  expiresAt: number;
}

export interface SessionsOptions {
  now: () => number;
  ttlMs?: number;
}

/** Attributes of the session cookie; `secure` is off only for `serve --dev` on loopback. */
export function sessionCookieOptions(secure: boolean, maxAgeS: number) {
  return { httpOnly: true, secure, sameSite: 'Strict', path: '/', maxAge: maxAgeS } as const;
}

export function csrfTokenFor(sessionId: string): string {
  return hmacBase64url(sessionId, 'slipway-csrf-v1');
}

export class Sessions {
  readonly ttlMs: number;

  constructor(
    private readonly store: FileStore,
    private readonly opts: SessionsOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  }

  /** A new session for `user`; the id is returned here once and stored only hashed. */
  async create(user: string): Promise<Session & { id: string }> {
    const id = randomSecret(32);
    const now = this.opts.now();
    const record: SessionRecord = { idHash: sha256Hex(id), user, createdAt: now, expiresAt: now + this.ttlMs };
    await this.store.update<SessionsDoc>(DOC, (cur) => ({ sessions: [...live(parseDoc(cur), now), record] }));
    return { id, user, csrfToken: csrfTokenFor(id), expiresAt: record.expiresAt };
  }

  /** The unexpired session whose id this is, or undefined. */
  async lookup(id: string): Promise<Session | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const idHash = sha256Hex(id);
    const r = parseDoc(await this.store.read(DOC)).sessions.find((s) => s.idHash === idHash);
    if (!r || r.expiresAt <= this.opts.now()) return undefined;
    return { user: r.user, csrfToken: csrfTokenFor(id), expiresAt: r.expiresAt };
  }

  async delete(id: string): Promise<void> {
    const idHash = sha256Hex(id);
    const now = this.opts.now();
    await this.store.update<SessionsDoc>(DOC, (cur) => ({ sessions: live(parseDoc(cur), now).filter((s) => s.idHash !== idHash) }));
  }
}

function live(doc: SessionsDoc, now: number): SessionRecord[] {
  return doc.sessions.filter((s) => s.expiresAt > now);
}

function parseDoc(raw: unknown): SessionsDoc {
  if (raw === undefined) return { sessions: [] };
  const r = sessionsDoc.safeParse(raw);
  if (!r.success) throw new UserError("the control plane's sessions document is malformed", 'remove sessions.json (everyone logs in again)');
  return r.data;
}
