import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeOps } from '../../server/fake-ops.ts';
import type { CliContext } from '../context.ts';
import { registerServe } from './serve.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-serve-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(out: string[], err: string[], env: Record<string, string> = {}): CliContext {
  return { stdout: { write: (t) => void out.push(t) }, stderr: { write: (t) => void err.push(t) }, cwd: dir, env, color: false, now: Date.now };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('slipway serve', () => {
  it('serves the API on loopback in --dev, with the first admin from the environment, until stopped', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const stop = new AbortController();
    const program = new Command('slipway').exitOverride();
    const ops = new FakeOps([{ name: 'staging', protected: false, apps: ['web'] }]);
    registerServe(program, context(out, err, { SLIPWAY_ADMIN_PASSWORD: 'a long admin passphrase' }), { ops: () => ops, signal: stop.signal, bcryptCost: 4 });
    const running = program.parseAsync(['serve', '--dev', '--port', '0', '--data', 'cp', '--admin', 'root', '--json'], { from: 'user' });
    let failed: unknown;
    running.catch((e) => (failed = e));
    await until(() => out.length > 0 || failed !== undefined);
    expect(failed).toBeUndefined();
    const info = JSON.parse(out.join('')) as { url: string; port: number; data: string; dev: boolean };
    expect(info).toMatchObject({ data: join(dir, 'cp'), dev: true });
    expect(info.url).toBe(`http://127.0.0.1:${info.port}`);

    const login = await fetch(`${info.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'root', password: 'a long admin passphrase' }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).not.toContain('Secure');
    const fleet = await fetch(`${info.url}/api/fleet`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(((await fleet.json()) as { environments: { name: string }[] }).environments.map((e) => e.name)).toEqual(['staging']);
    // The audit entry carries the socket's address.
    expect(ops.entries.at(-1)).toMatchObject({ by: 'root', action: 'login', ip: '127.0.0.1' });
    expect((await stat(join(dir, 'cp'))).mode & 0o777).toBe(0o700);
    expect(err.join('')).not.toContain('a long admin passphrase');

    stop.abort();
    await running;
    await expect(fetch(`${info.url}/api/fleet`)).rejects.toThrow();
  });

  it('refuses --dev on an address other than loopback', async () => {
    const program = new Command('slipway').exitOverride();
    registerServe(program, context([], []), { ops: () => new FakeOps([]), signal: AbortSignal.abort() });
    await expect(program.parseAsync(['serve', '--dev', '--host', '0.0.0.0', '--port', '0'], { from: 'user' })).rejects.toThrow(/loopback only/);
  });
});
