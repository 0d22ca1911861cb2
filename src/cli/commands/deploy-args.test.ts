// `slipway deploy APP ENV [PROCESS…]`: process names are checked before anything connects; an
// unknown one exits 2 naming the app's processes in that environment.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliContext } from '../context.ts';
import { main } from '../main.ts';

const FLEET = `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  prod: { server: s1, domain: "{app}.example.com" }
apps:
  api:
    image: api:v1
    processes:
      web: { port: 8000, health: /health, memory: 256MiB }
      worker: { command: "node worker.js", memory: 128MiB }
`;

async function run(args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-deploy-args-'));
  writeFileSync(join(cwd, 'slipway.yaml'), FLEET);
  let stdout = '';
  let stderr = '';
  let connected = false;
  const ctx: CliContext = {
    stdout: { write: (t) => void (stdout += t) },
    stderr: { write: (t) => void (stderr += t) },
    cwd,
    env: {},
    color: false,
    now: () => Date.now(),
    connector: async () => {
      connected = true;
      throw new Error('no engine in this test');
    },
    stdin: async () => '',
  };
  const code = await main(args, ctx);
  return { code, stdout, stderr, connected };
}

describe('deploy APP ENV [PROCESS…]', () => {
  it('an unknown process exits 2 with the list of processes, before connecting', async () => {
    const r = await run(['deploy', 'api', 'prod', 'web', 'wrker']);
    expect(r).toMatchObject({ code: 2, connected: false });
    expect(r.stderr).toBe('error: api has no process "wrker" in prod\n  hint: processes of api in prod: web, worker\n');
    const j = await run(['--json', 'deploy', 'api', 'prod', 'wrker']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout)).toEqual({ ok: false, error: 'api has no process "wrker" in prod', hint: 'processes of api in prod: web, worker' });
  });

  it('known processes get as far as connecting to the server', async () => {
    const r = await run(['deploy', 'api', 'prod', 'worker']);
    expect(r.connected).toBe(true);
  });
});
