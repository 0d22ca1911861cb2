// The real `slipway` process: --file, --json and --server are accepted before or after the command,
// $SLIPWAY_FILE names the fleet file (--file > $SLIPWAY_FILE > ./slipway.yaml), and bad arguments
// exit 2 with one `error:` line and a hint (JSON with --json), never a stack trace. `status` runs
// against the local engine on a fleet of a unique project, of which nothing is deployed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine } from './harness/engine.ts';
import { BIN, slipway, type CliResult } from './support/cli.ts';
import { cleanupProject, uniqueProject } from './support/project.ts';

let dir: string;
let project: string;

const fleet = (name: string) => `project: ${name}
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, auth: basic, domain: "{app}-staging.localhost" }
apps:
  api:
    image: nginx:1.27
    processes:
      web: { port: 80, health: /, memory: 64MiB }
`;

beforeAll(async () => {
  await ensureEngine();
  dir = mkdtempSync(join(tmpdir(), 'slipway-globals-'));
  project = uniqueProject('glob');
  writeFileSync(join(dir, 'x.yaml'), fleet(project));
  // A ./slipway.yaml that must lose to both --file and $SLIPWAY_FILE.
  writeFileSync(join(dir, 'slipway.yaml'), 'project: [not, a, fleet\n');
});

afterAll(async () => {
  if (project) await cleanupProject(project, dir);
  else if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string> = {}) => slipway(args, { cwd: dir, env: { SLIPWAY_FILE: '', ...env } });

function noStackTrace(r: CliResult): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('global options from a real CLI process', () => {
  it('status: --file and --json before the command, after it, or $SLIPWAY_FILE, give the same rows', async () => {
    const [before, after, mixed, fromEnv, envLosesToFlag] = await Promise.all([
      run(['--file', 'x.yaml', '--json', 'status']),
      run(['status', '--file', 'x.yaml', '--json']),
      run(['--json', 'status', '-f', 'x.yaml']),
      run(['status', '--json'], { SLIPWAY_FILE: 'x.yaml' }),
      run(['--file', 'x.yaml', 'status', '--json'], { SLIPWAY_FILE: 'missing.yaml' }),
    ]);
    for (const r of [before, after, mixed, fromEnv, envLosesToFlag]) {
      noStackTrace(r);
      // On failure, stdout (where --json puts the error) is shown too.
      expect({ code: r.code, stderr: r.stderr }, r.stdout).toEqual({ code: 0, stderr: '' });
    }
    const rows = (JSON.parse(before.stdout) as { processes: { app: string; env: string; process: string; state: string }[] }).processes;
    expect(rows.find((r) => r.app === 'api')).toMatchObject({ env: 'staging', process: 'web', state: 'not deployed' });
    for (const r of [after, mixed, fromEnv, envLosesToFlag]) expect(JSON.parse(r.stdout)).toEqual(JSON.parse(before.stdout));
  });

  it('SLIPWAY_FILE=x.yaml slipway status prints the table', async () => {
    const r = await run(['status'], { SLIPWAY_FILE: 'x.yaml' });
    noStackTrace(r);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SERVER\s+ENV\s+APP\s+PROCESS/);
    expect(r.stdout).toMatch(/\ns1\s+staging\s+api\s+web\s+not deployed/);
  });

  it('validate and plan --empty: the same output with the options before or after the command', async () => {
    const pairs = await Promise.all(
      [
        [
          ['--file', 'x.yaml', 'validate'],
          ['validate', '--file', 'x.yaml'],
        ],
        [
          ['--json', '-f', 'x.yaml', 'plan', '--empty'],
          ['plan', '--empty', '--json', '--file', 'x.yaml'],
        ],
        [
          ['--server', 's1', '--file', 'x.yaml', 'render', 'caddy'],
          ['render', 'caddy', '--file', 'x.yaml', '--server', 's1'],
        ],
      ].map(([a, b]) => Promise.all([run(a!), run(b!)])),
    );
    for (const [a, b] of pairs) {
      expect(a.code).toBe(0);
      expect(a.stdout).not.toBe('');
      expect(a).toEqual(b);
    }
    expect(pairs[0]![0].stdout).toContain('x.yaml: ok (1 apps, 1 environments, 1 servers)');
    expect(JSON.parse(pairs[1]![0].stdout).project).toBe(project);
    // Without --file or $SLIPWAY_FILE, ./slipway.yaml is read (and here it is broken).
    const local = await run(['validate']);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/^error\[yaml-syntax\]: .*\n --> .*\/slipway\.yaml:\d+:\d+/);
  });

  it('a reader that is gone before the output (slipway --help | true) ends nothing with a stack trace', async () => {
    // `true` exits at once, long before node has started: every write meets a closed pipe (EPIPE).
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(BIN)} serve --help | true; echo "rc=\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout).toBe('rc=0\n');
    expect(r.stderr).not.toMatch(/EPIPE|at .*\(|Unhandled/);
  });

  it('bad arguments exit 2 with one error line and a hint, or JSON with --json', async () => {
    const cases: [string[], RegExp][] = [
      [['--file', 'x.yaml', 'status', '--bogus'], /^error: unknown option '--bogus'\n {2}hint: run "slipway status --help" for usage\n$/],
      [['--bogus', 'status'], /^error: unknown option '--bogus'\n {2}hint: run "slipway --help" for usage\n$/],
      [['statsu'], /^error: unknown command 'statsu'\n {2}hint: did you mean status\? \(run "slipway --help" for usage\)\n$/],
      [['releases', 'api'], /^error: missing required argument 'env'\n {2}hint: /],
      [
        ['--file', 'x.yaml', 'deploy', 'api', 'staging', '--drain', 'soon'],
        /^error: option '--drain <ms>' argument 'soon' is invalid\. Expected a number ≥ 0\.\n {2}hint: /,
      ],
      [['--file', 'x.yaml', 'releases', 'api', 'prod'], /^error: unknown environment "prod"\n {2}hint: environments in the fleet: staging\n$/],
      [['--server', 's1', 'status', '--file', 'x.yaml'], /^error: --server does not apply to "slipway status"\n {2}hint: /],
    ];
    const results = await Promise.all(cases.map(([args]) => Promise.all([run(args), run(['--json', ...args])])));
    results.forEach(([human, json], i) => {
      const [args, stderr] = cases[i]!;
      noStackTrace(human);
      noStackTrace(json);
      expect({ args, code: human.code, stdout: human.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(human.stderr).toMatch(stderr);
      expect({ args, code: json.code, stderr: json.stderr }).toEqual({ args, code: 2, stderr: '' });
      const out = JSON.parse(json.stdout) as { ok: boolean; error: string; hint: string };
      expect(out.ok).toBe(false);
      expect(`error: ${out.error}\n  hint: ${out.hint}\n`).toMatch(stderr);
    });
  });
});
