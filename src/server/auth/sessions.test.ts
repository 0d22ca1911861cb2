import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../store/file-store.ts';
import { csrfTokenFor, Sessions } from './sessions.ts';

let dir: string;
let now: number;
let sessions: Sessions;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-sessions-'));
  now = 1_000_000;
  sessions = new Sessions(new FileStore(dir, { fsync: false }), { now: () => now, ttlMs: 60_000 });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Sessions', () => {
  it('finds a session by its id until it expires, and stores only the hash', async () => {
    const s = await sessions.create('alice');
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await sessions.lookup(s.id)).toEqual({ user: 'alice', csrfToken: s.csrfToken, expiresAt: 1_060_000 });
    expect(await readFile(join(dir, 'sessions.json'), 'utf8')).not.toContain(s.id);
    now += 60_000;
    expect(await sessions.lookup(s.id)).toBeUndefined();
  });

  it('gives each session its own CSRF token', async () => {
    const a = await sessions.create('alice');
    const b = await sessions.create('alice');
    expect(a.csrfToken).not.toBe(b.csrfToken);
    expect(a.csrfToken).toBe(csrfTokenFor(a.id));
  });

  it('forgets a deleted session, and unknown or malformed ids', async () => {
    const s = await sessions.create('alice');
    await sessions.delete(s.id);
    expect(await sessions.lookup(s.id)).toBeUndefined();
    expect(await sessions.lookup('x'.repeat(43))).toBeUndefined();
    expect(await sessions.lookup('../../etc/passwd')).toBeUndefined();
  });

  it('drops expired sessions from the store when a new one is made', async () => {
    await sessions.create('old');
    now += 120_000;
    await sessions.create('new');
    const doc = JSON.parse(await readFile(join(dir, 'sessions.json'), 'utf8')) as { sessions: { user: string }[] };
    expect(doc.sessions.map((s) => s.user)).toEqual(['new']);
  });
});
