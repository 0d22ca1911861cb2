// The CLI boundary, in process: bad input of every kind gets a clear message (what, where, how to
// fix) and an exit code, never a stack trace; --json gives the same as data.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.ts';
import { main } from './main.ts';

const GOOD = `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, auth: basic, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
apps:
  api:
    image: api:v1
    processes:
      web: { port: 8000, health: /health, memory: 256MiB }
`;

async function run(args: string[], files: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    stdout: { write: (t) => void (stdout += t) },
    stderr: { write: (t) => void (stderr += t) },
    cwd,
    env: {},
    color: false,
    now: () => Date.now(),
    connector: async () => {
      throw new Error('no engine in this test');
    },
  };
  const code = await main(args, ctx);
  expect(stdout + stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // never a stack trace
  return { code, stdout, stderr };
}

describe('slipway CLI errors', () => {
  it('unknown command', async () => {
    const r = await run(['deploi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'deploi'/);
    expect(r.stderr).toMatch(/Did you mean deploy\?/);
  });

  it('missing fleet file, human and JSON', async () => {
    const r = await run(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[file-not-found\]: no fleet file at .*slipway\.yaml/);
    expect(r.stderr).toMatch(/hint: run "slipway init"/);
    const j = await run(['check', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'file-not-found' }] });
  });

  it('a bad fleet file shows the offending line with a caret', async () => {
    const r = await run(['validate'], { 'slipway.yaml': GOOD.replace('port: 8000', 'prot: 8000') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[unknown-key]: unknown key "prot" in apps/api/processes/web');
    expect(r.stderr).toContain('--> ');
    expect(r.stderr).toMatch(/slipway\.yaml:11:14/);
    expect(r.stderr).toMatch(/\n\s+\|\s+\^\^\^\^\n/);
    expect(r.stderr).toContain('did you mean "port"?');
  });

  it('validate --json lists the same problems as data', async () => {
    const r = await run(['validate', '--json'], { 'slipway.yaml': GOOD.replace('image: api:v1', 'image: api:v1\n    uses: [postgress]') });
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.diagnostics.map((d: { code: string; path: string }) => `${d.code} ${d.path}`)).toContain('unknown-reference apps/api/uses/0');
  });

  it('unknown app and environment name the choices', async () => {
    const r = await run(['deploy', 'apj', 'prod'], { 'slipway.yaml': GOOD });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: unknown app "apj"\n  hint: did you mean "api"?\n');
    const e = await run(['releases', 'api', 'prd', '--json'], { 'slipway.yaml': GOOD });
    expect(JSON.parse(e.stdout)).toEqual({ ok: false, error: 'unknown environment "prd"', hint: 'did you mean "prod"?' });
  });

  it('conflicting and malformed options', async () => {
    expect((await run(['deploy', 'api', 'prod', '--ref', 'v1', '--image', 'x:v1'], { 'slipway.yaml': GOOD })).stderr).toContain(
      'pass either --ref or --image, not both',
    );
    expect((await run(['deploy', 'api', 'prod', '--drain', 'soon'], { 'slipway.yaml': GOOD })).stderr).toContain(
      '--drain must be a non-negative number, got "soon"',
    );
    expect((await run(['maintenance', 'maybe', 'api', 'prod'], { 'slipway.yaml': GOOD })).stderr).toContain('maintenance takes "on" or "off", not "maybe"');
    expect((await run(['render', 'apache'], { 'slipway.yaml': GOOD })).stderr).toContain('unknown render kind "apache"');
    expect((await run(['secret', 'set', 'bad name!'], { 'slipway.yaml': GOOD })).stderr).toContain('invalid secret name "bad name!"');
  });

  it('plan --observed with a broken snapshot', async () => {
    const r = await run(['plan', '--observed', 'obs.json'], { 'slipway.yaml': GOOD, 'obs.json': '{"project": "demo", "servers": [' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[bad-json\]: .*obs\.json is not valid JSON/);
  });

  it('an unreachable server is an error naming it, not a crash', async () => {
    const r = await run(['status'], { 'slipway.yaml': GOOD });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot connect to 1 server\(s\):\n {2}s1: no engine in this test\n {2}hint: /);
  });

  it('good input: validate, check, plan --empty and render work without a server', async () => {
    const files = { 'slipway.yaml': GOOD };
    expect((await run(['validate'], files)).stdout).toContain('ok (1 apps, 2 environments, 1 servers)');
    const check = await run(['check', '--json'], files);
    expect(JSON.parse(check.stdout).findings.map((f: { code: string }) => f.code)).toEqual([]);
    const plan = await run(['plan', '--empty'], files);
    expect(plan.stdout).toMatch(/Plan: \d+ to create, 1 to update, 0 to replace, 0 to delete\./);
    const caddy = await run(['render', 'caddy', '--json'], files);
    expect(JSON.parse(caddy.stdout)[0].path).toBe('caddy/s1.json');
  });

  it('secret references render as variables, never values', async () => {
    const files = { 'slipway.yaml': GOOD.replace('image: api:v1', 'image: api:v1\n    env: { API_KEY: { secret: api-key } }') };
    const r = await run(['render', 'compose', '--env', 'prod'], files);
    expect(r.stdout).toContain('API_KEY: ${API_KEY}');
  });
});
