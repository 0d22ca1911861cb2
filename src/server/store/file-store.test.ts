import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from './file-store.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'slipway-store-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('FileStore', () => {
  it('reads undefined before the first write, then what was written', async () => {
    const store = new FileStore(join(root, 'data'));
    expect(await store.read('users')).toBeUndefined();
    await store.write('users', { users: ['a'] });
    expect(await store.read('users')).toEqual({ users: ['a'] });
  });

  it('creates the directory 0700 and documents 0600, leaving no temp files', async () => {
    const dir = join(root, 'data');
    const store = new FileStore(dir);
    await store.write('tokens', { n: 1 });
    await store.write('tokens', { n: 2 });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'tokens.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['tokens.json']);
  });

  it('loses no update when many writers update one document at once', async () => {
    const store = new FileStore(join(root, 'data'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update<{ items: number[] }>('counter', async (cur) => {
          await new Promise((r) => setImmediate(r));
          return { items: [...(cur?.items ?? []), i] };
        }),
      ),
    );
    const doc = await store.read<{ items: number[] }>('counter');
    expect(doc?.items.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('keeps the queue going after a writer fails, and leaves the document as it was', async () => {
    const store = new FileStore(join(root, 'data'));
    await store.write('doc', { v: 1 });
    const failed = store.update('doc', () => {
      throw new Error('boom');
    });
    const after = store.update<{ v: number }>('doc', (cur) => ({ v: (cur?.v ?? 0) + 1 }));
    await expect(failed).rejects.toThrow('boom');
    expect(await after).toEqual({ v: 2 });
  });

  it('refuses document names that could leave the directory', async () => {
    const store = new FileStore(join(root, 'data'));
    expect(() => store.update('../etc', () => 1)).toThrow(/invalid document name/);
    await expect(store.read('a/b')).rejects.toThrow(/invalid document name/);
  });

  it('says which document is corrupt, without its content', async () => {
    const dir = join(root, 'data');
    const store = new FileStore(dir);
    await store.write('users', {});
    await writeFile(join(dir, 'users.json'), '{"secret": "hunter2"');
    await expect(store.read('users')).rejects.toThrow(/users\.json is not valid JSON/);
    await expect(store.read('users')).rejects.not.toThrow(/hunter2/);
  });
});
