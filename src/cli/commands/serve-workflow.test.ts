// `slipway serve` as the CLI registers it: with the real workflow ops (workflowServeOps) over
// FakeEngines, listening on loopback port 0; the fleet file must load at start; and the command is
// in the CLI's help with every option.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeWorld, nginxServerBlock, TWO_SERVERS, upAll } from '../../../test/support/fake-session.ts';
import { ConfigError } from '../../diag/errors.ts';
import type { CliContext } from '../context.ts';
import { main } from '../main.ts';
import { registerServe, workflowServeOps } from './serve.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-serve-wf-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('slipway serve (registered, real ops)', () => {
  it('--dev --port 0 --json prints the URL once listening; the API shows the fleet from the file and acts through the workflows', async () => {
    await writeFile(join(dir, 'slipway.yaml'), TWO_SERVERS);
    const w = await fakeWorld();
    await upAll(w);
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = {
      stdout: { write: (t) => void out.push(t) },
      stderr: { write: (t) => void err.push(t) },
      cwd: dir,
      env: { SLIPWAY_ADMIN_PASSWORD: 'a long admin passphrase' },
      color: false,
      now: () => w.clock.t,
      connector: async (server) => ({ ...w.session.connections.find((c) => c.server.name === server.name)!, close: async () => {} }),
    };
    const stop = new AbortController();
    const program = new Command('slipway').exitOverride();
    registerServe(program, ctx, { ops: workflowServeOps(ctx), signal: stop.signal, bcryptCost: 4 });
    const running = program.parseAsync(['serve', '--dev', '--port', '0', '--json', '--admin', 'root'], { from: 'user' });
    let failed: unknown;
    running.catch((e) => (failed = e));
    try {
      await until(() => out.length > 0 || failed !== undefined);
      expect(failed).toBeUndefined();
      const { url } = JSON.parse(out.join('')) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const login = await fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'root', password: 'a long admin passphrase' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const fleet = (await (await fetch(`${url}/api/fleet`, { headers: { cookie } })).json()) as { environments: { name: string; apps: string[] }[] };
      expect(fleet.environments).toEqual([
        { name: 'staging', protected: false, apps: ['web'] },
        { name: 'prod', protected: false, apps: ['web'] },
        { name: 'qual', protected: false, apps: ['web'] },
      ]);
      // Maintenance through the workflow (a deploy would wait the CLI's 2 s drain): nginx on s2 answers 503.
      const on = await fetch(`${url}/api/envs/qual/maintenance`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ on: true }),
      });
      expect(on.status).toBe(200);
      expect(((await on.json()) as { results: { server: string; inMaintenance: string[] }[] }).results).toMatchObject([
        { server: 's2', inMaintenance: ['web/qual'] },
      ]);
      expect(nginxServerBlock(w.engine('s2').readFile('acme-proxy', '/etc/nginx/nginx.conf')!, 'web-qual.localhost')).toContain('return 503');
      // The API audit log is in the data directory.
      expect(await readFile(join(dir, '.slipway/serve/audit.jsonl'), 'utf8')).toContain('"action":"maintenance"');
      expect(err.join('')).not.toContain('a long admin passphrase');
    } finally {
      stop.abort();
      await running.catch(() => undefined);
    }
  });

  it('refuses to start when the fleet file does not load', async () => {
    await writeFile(join(dir, 'slipway.yaml'), 'project: acme\nservers: [\n');
    const ctx: CliContext = { stdout: { write: () => undefined }, stderr: { write: () => undefined }, cwd: dir, env: {}, color: false, now: Date.now };
    const program = new Command('slipway').exitOverride();
    registerServe(program, ctx, { ops: workflowServeOps(ctx), signal: AbortSignal.abort() });
    await expect(program.parseAsync(['serve', '--dev', '--port', '0'], { from: 'user' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('is a command of the CLI, with every option in its help', async () => {
    let out = '';
    const ctx: CliContext = { stdout: { write: (t) => void (out += t) }, stderr: { write: () => undefined }, cwd: dir, env: {}, color: false, now: Date.now };
    expect(await main(['--help'], ctx)).toBe(0);
    expect(out).toMatch(/\n\s+serve \[options\]/);
    out = '';
    expect(await main(['serve', '--help'], ctx)).toBe(0);
    for (const opt of ['--dev', '--host <address>', '--port <n>', '--data <dir>', '--admin <name>', '--file <path>', '--identity <file>', '--json'])
      expect(out).toContain(opt);
    expect(out).toContain('re-read on every request');
  });
});
