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

async function run(args: string[], files: Record<string, string> = {}, env: Record<string, string> = {}, input?: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  let stdout = '';
  let stderr = '';
  const ctx: CliContext = {
    stdout: { write: (t) => void (stdout += t) },
    stderr: { write: (t) => void (stderr += t) },
    cwd,
    env,
    color: false,
    now: () => Date.now(),
    connector: async () => {
      throw new Error('no engine in this test');
    },
    stdin: async () => input ?? '',
  };
  const code = await main(args, ctx);
  expect(stdout + stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // never a stack trace
  // Each run has its own directory: show it as <cwd> so runs can be compared.
  return { code, stdout: stdout.replaceAll(cwd, '<cwd>'), stderr: stderr.replaceAll(cwd, '<cwd>') };
}

describe('slipway CLI errors', () => {
  it('unknown command', async () => {
    const r = await run(['deploi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'deploi'/);
    expect(r.stderr).toBe('error: unknown command \'deploi\'\n  hint: did you mean deploy? (run "slipway --help" for usage)\n');
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
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: unknown app "apj"\n  hint: did you mean "api"?\n');
    const e = await run(['releases', 'api', 'prd', '--json'], { 'slipway.yaml': GOOD });
    expect(JSON.parse(e.stdout)).toEqual({ ok: false, error: 'unknown environment "prd"', hint: 'did you mean "prod"?' });
  });

  it('conflicting and malformed options exit 2 with one error line and a hint', async () => {
    const files = { 'slipway.yaml': GOOD };
    const cases: [string[], string][] = [
      [['deploy', 'api', 'prod', '--ref', 'v1', '--image', 'x:v1'], "option '--image <image>' cannot be used with option '--ref <ref>'"],
      [['deploy', 'api', 'prod', '--drain', 'soon'], "option '--drain <ms>' argument 'soon' is invalid. Expected a number ≥ 0."],
      [['rollback', 'api', 'prod', '--keep', '0'], "option '--keep <n>' argument '0' is invalid. Expected a whole number ≥ 1."],
      [['up', '--lock-wait', '-1'], "option '--lock-wait <seconds>' argument '-1' is invalid. Expected a number ≥ 0."],
      [['logs', 'api', 'prod', '-n', 'ten'], "option '-n, --tail <n>' argument 'ten' is invalid. Expected a whole number ≥ 0."],
      [['maintenance', 'maybe', 'api', 'prod'], "command-argument value 'maybe' is invalid for argument 'state'. Allowed choices are on, off."],
      [['render', 'apache'], "command-argument value 'apache' is invalid for argument 'kind'. Allowed choices are compose, nginx, caddy, sql, all."],
      [['secret', 'set', 'bad name!'], 'command-argument value \'bad name!\' is invalid for argument \'name\'. Use letters, digits, ".", "_", "-" and "/".'],
      [['up', '--server', 's9'], 'unknown server "s9"'],
      [['render', '--env', 'qa'], 'unknown environment "qa"'],
    ];
    for (const [args, message] of cases) {
      const r = await run(args, files);
      expect({ args, code: r.code, first: r.stderr.split('\n')[0] }).toEqual({ args, code: 2, first: `error: ${message}` });
      expect(r.stderr.split('\n')[1]).toMatch(/^ {2}hint: /);
    }
  });

  it('bad arguments of every kind exit 2, as JSON with --json', async () => {
    const files = { 'slipway.yaml': GOOD };
    const cases: [string[], string, string][] = [
      [['plan', '--bogus'], "unknown option '--bogus'", 'run "slipway plan --help" for usage'],
      [['plan', '--jsn'], "unknown option '--jsn'", 'did you mean --json? (run "slipway plan --help" for usage)'],
      [['--bogus', 'plan'], "unknown option '--bogus'", 'run "slipway --help" for usage'],
      [['deploy', 'api'], "missing required argument 'env'", 'run "slipway deploy --help" for usage'],
      [['status', 'prod', 'extra'], "too many arguments for 'status'. Expected 1 argument but got 2.", 'run "slipway status --help" for usage'],
      [['plan', '--file'], "option '-f, --file <path>' argument missing", 'run "slipway plan --help" for usage'],
      [['lock', 'steal', 'prod'], "unknown command 'steal'", 'run "slipway lock --help" for usage'],
      [['secret', '--server', 's1', 'list'], "unknown option '--server'", 'run "slipway secret --help" for usage'],
      [['--server', 's1', 'validate'], '--server does not apply to "slipway validate"', 'run "slipway validate --help" for its options'],
      [['--file', 'a.yaml', 'validate', '--file', 'b.yaml'], '--file is given twice, "a.yaml" before the command and "b.yaml" after it', 'give --file once'],
    ];
    for (const [args, error, hint] of cases) {
      const r = await run(args, files);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: `error: ${error}\n  hint: ${hint}\n` });
      const j = await run(['--json', ...args], files);
      expect({ args, code: j.code, out: JSON.parse(j.stdout) }).toEqual({ args, code: 2, out: { ok: false, error, hint } });
    }
  });

  it('a missing command prints the help and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: slipway [options] [command]');
    expect(r.stderr).toMatch(/error: a command is missing\n {2}hint: run "slipway --help" for usage\n$/);
    expect((await run(['secret'])).stderr).toMatch(/error: a subcommand is missing\n/);
    expect((await run(['--help'])).code).toBe(0);
  });

  it('--file and --json work before or after the command; --file beats $SLIPWAY_FILE, which beats ./slipway.yaml', async () => {
    const files = {
      'slipway.yaml': GOOD,
      'other.yaml': GOOD.replace('project: demo', 'project: other'),
      'env.yaml': GOOD.replace('project: demo', 'project: fromenv'),
    };
    const project = (r: { stdout: string }) => (JSON.parse(r.stdout) as { file: string }).file.replace(/^.*\//, '');
    const after = await run(['validate', '--file', 'other.yaml', '--json'], files);
    const before = await run(['--json', '--file', 'other.yaml', 'validate'], files);
    const mixed = await run(['-f', 'other.yaml', 'validate', '--json'], files);
    expect(after.code).toBe(0);
    expect(before).toEqual(after);
    expect(mixed).toEqual(after);
    expect(project(after)).toBe('other.yaml');
    expect(project(await run(['validate', '--json'], files))).toBe('slipway.yaml');
    expect(project(await run(['validate', '--json'], files, { SLIPWAY_FILE: 'env.yaml' }))).toBe('env.yaml');
    expect(project(await run(['--file', 'other.yaml', 'validate', '--json'], files, { SLIPWAY_FILE: 'env.yaml' }))).toBe('other.yaml');
    // Between a command group and its command too.
    const lock = await run(['lock', '--json', '-f', 'other.yaml', 'status'], files);
    expect(lock).toEqual(await run(['--json', 'lock', 'status', '--file', 'other.yaml'], files));
    expect(JSON.parse(lock.stdout)).toEqual({ ok: false, error: expect.stringMatching(/^cannot connect to 1 server/), hint: expect.any(String) });
    // logs keeps -f for follow; --file still works before or after it.
    const logs = await run(['--file', 'other.yaml', 'logs', 'api', 'prod', '-f', '--json']);
    expect(JSON.parse(logs.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'file-not-found' }] });
    expect(JSON.parse(logs.stdout).diagnostics[0].message).toMatch(/other\.yaml/);
  });

  it('secret set refuses a value too short to redact, naming the secret and never the value', async () => {
    const r = await run(['secret', 'set', 'api-key', '--env', 'prod'], { 'slipway.yaml': GOOD }, {}, 'hunter2\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: secret api-key is shorter than 8 characters: too short to keep out of logs and errors safely\n' +
        '  hint: give it a value of 8 characters or more: printf %s "$VALUE" | slipway secret set api-key --env prod\n',
    );
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
