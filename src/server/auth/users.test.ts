import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../store/file-store.ts';
import { Users } from './users.ts';

let dir: string;
let users: Users;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-users-'));
  users = new Users(new FileStore(dir, { fsync: false }), { cost: 4, now: () => Date.UTC(2025, 0, 1) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Users', () => {
  it('verifies the right password only, and stores a bcrypt hash, not the password', async () => {
    await users.createUser({ name: 'alice', role: 'deployer', password: 'correct horse battery' });
    expect(await users.verifyPassword('alice', 'correct horse battery')).toEqual({ name: 'alice', role: 'deployer', createdAt: '2025-01-01T00:00:00.000Z' });
    expect(await users.verifyPassword('alice', 'wrong horse battery')).toBeUndefined();
    expect(await users.verifyPassword('bob', 'correct horse battery')).toBeUndefined();
    const file = await readFile(join(dir, 'users.json'), 'utf8');
    expect(file).not.toContain('correct horse');
    expect(file).toMatch(/"\$2[aby]\$04\$/);
  });

  it('refuses duplicate names, bad names and weak or over-long passwords', async () => {
    await users.createUser({ name: 'alice', role: 'viewer', password: 'correct horse battery' });
    await expect(users.createUser({ name: 'alice', role: 'admin', password: 'correct horse battery' })).rejects.toThrow(/already exists/);
    await expect(users.createUser({ name: '../root', role: 'admin', password: 'correct horse battery' })).rejects.toThrow(/invalid user name/);
    await expect(users.createUser({ name: 'bob', role: 'admin', password: 'short' })).rejects.toThrow(/too short/);
    await expect(users.createUser({ name: 'bob', role: 'admin', password: 'x'.repeat(73) })).rejects.toThrow(/too long/);
  });

  it('refuses a password whose first 72 bytes match (bcrypt would cut the rest)', async () => {
    const long = 'y'.repeat(72);
    await users.createUser({ name: 'carol', role: 'viewer', password: long });
    expect(await users.verifyPassword('carol', long)).toBeDefined();
    expect(await users.verifyPassword('carol', `${long}extra`)).toBeUndefined();
  });

  it('bootstraps the first admin once', async () => {
    expect(await users.bootstrapAdmin('root', 'a long admin passphrase')).toBe(true);
    expect(await users.bootstrapAdmin('other', 'a long admin passphrase')).toBe(false);
    expect(await users.list()).toEqual([{ name: 'root', role: 'admin', createdAt: '2025-01-01T00:00:00.000Z' }]);
  });
});
