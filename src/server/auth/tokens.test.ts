import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../store/file-store.ts';
import { Tokens } from './tokens.ts';

let dir: string;
let tokens: Tokens;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-tokens-'));
  tokens = new Tokens(new FileStore(dir, { fsync: false }), { now: () => Date.UTC(2025, 0, 1) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Tokens', () => {
  it('shows the secret once, stores only its hash, and finds the token by it', async () => {
    const t = await tokens.create({ name: 'ci-staging', role: 'deployer', envs: ['staging'], createdBy: 'alice' });
    expect(t.token).toMatch(/^slp_[A-Za-z0-9_-]{43}$/);
    expect(await readFile(join(dir, 'tokens.json'), 'utf8')).not.toContain(t.token.slice(4));
    const found = await tokens.lookup(t.token);
    expect(found).toEqual({ id: t.id, name: 'ci-staging', role: 'deployer', envs: ['staging'], createdAt: '2025-01-01T00:00:00.000Z', createdBy: 'alice' });
    expect(JSON.stringify(await tokens.list())).not.toContain(t.token);
  });

  it('finds nothing for a wrong or malformed token', async () => {
    const t = await tokens.create({ name: 'ci', role: 'viewer', createdBy: 'alice' });
    const wrong = `${t.token.slice(0, -1)}${t.token.endsWith('A') ? 'B' : 'A'}`;
    expect(await tokens.lookup(wrong)).toBeUndefined();
    expect(await tokens.lookup('slp_')).toBeUndefined();
    expect(await tokens.lookup(t.token.slice(4))).toBeUndefined();
  });

  it('deletes by id', async () => {
    const t = await tokens.create({ name: 'ci', role: 'viewer', createdBy: 'alice' });
    expect(await tokens.delete(t.id)).toBe(true);
    expect(await tokens.delete(t.id)).toBe(false);
    expect(await tokens.lookup(t.token)).toBeUndefined();
  });

  it('refuses bad names, bad environments, an empty limit and a duplicate name', async () => {
    await expect(tokens.create({ name: 'CI Token', role: 'viewer', createdBy: 'a' })).rejects.toThrow(/invalid token name/);
    await expect(tokens.create({ name: 'ci', role: 'viewer', envs: ['../prod'], createdBy: 'a' })).rejects.toThrow(/invalid environment/);
    await expect(tokens.create({ name: 'ci', role: 'viewer', envs: [], createdBy: 'a' })).rejects.toThrow(/no environment/);
    await tokens.create({ name: 'ci', role: 'viewer', createdBy: 'a' });
    await expect(tokens.create({ name: 'ci', role: 'admin', createdBy: 'a' })).rejects.toThrow(/already exists/);
  });
});
