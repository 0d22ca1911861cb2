// `slipway init` from a real CLI call in a temporary directory: what it writes is what `validate`
// accepts; a compose file with errors, bad environment or project names and a missing compose
// file write nothing and exit 2; --envs is lowercased; --json says whether and where it wrote.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CliContext } from '../context.ts';
import { main } from '../main.ts';

const COMPOSE = 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n  db:\n    image: postgres:17\n';

async function run(args: string[], files: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-init-'));
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
  expect(stdout + stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return { code, stdout, stderr, cwd, written: existsSync(join(cwd, 'slipway.yaml')) ? readFileSync(join(cwd, 'slipway.yaml'), 'utf8') : undefined };
}

describe('slipway init --from', () => {
  it('writes a fleet file that validate accepts, with the environments lowercased', async () => {
    const r = await run(['init', '--from', 'docker-compose.yml', '--envs', 'Staging, PROD'], { 'docker-compose.yml': COMPOSE });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('wrote slipway.yaml. Next: slipway validate && slipway plan\n');
    expect(Object.keys(parse(r.written!).environments)).toEqual(['staging', 'prod']);
    const v = await run(['validate'], { 'docker-compose.yml': COMPOSE, 'slipway.yaml': r.written! });
    expect(v.code).toBe(0);
  });

  it('prints the problems of a compose file with errors, writes nothing and exits 2', async () => {
    const r = await run(['init', '--from', 'docker-compose.yml'], { 'docker-compose.yml': 'services:\n  web:\n    image: [nginx]\n    cpus: lots\n' });
    expect(r.code).toBe(2);
    expect(r.written).toBeUndefined();
    expect(r.stderr).toMatch(/docker-compose\.yml:3:12/);
    expect(r.stderr).toMatch(/docker-compose\.yml:4:11/);
    expect(r.stderr).toMatch(/error: nothing written: 3 problem\(s\) above/);
    expect(r.stdout).toBe('');
  });

  it('treats a required variable missing from .env as an error', async () => {
    const compose = 'services:\n  web:\n    image: "nginx:${TAG:?set TAG in .env}"\n';
    const r = await run(['init', '--from', 'docker-compose.yml'], { 'docker-compose.yml': compose });
    expect(r.code).toBe(2);
    expect(r.written).toBeUndefined();
    const ok = await run(['init', '--from', 'docker-compose.yml'], { 'docker-compose.yml': compose, '.env': 'TAG=1.27\n' });
    expect(ok.code).toBe(0);
  });

  it('says in JSON whether and where it wrote', async () => {
    const ok = await run(['init', '--from', 'docker-compose.yml', '--json'], { 'docker-compose.yml': COMPOSE });
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.stdout);
    expect(j).toMatchObject({ ok: true, wrote: true, file: join(ok.cwd, 'slipway.yaml'), envs: ['staging', 'prod'] });
    expect(j.yaml).toBe(ok.written);

    const bad = await run(['init', '--from', 'docker-compose.yml', '--json'], { 'docker-compose.yml': 'services: [' });
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, wrote: false, file: null, yaml: null, diagnostics: [{ code: 'yaml-syntax' }] });
    expect(bad.written).toBeUndefined();

    const printed = await run(['init', '--from', 'docker-compose.yml', '--json', '--stdout'], { 'docker-compose.yml': COMPOSE });
    expect(JSON.parse(printed.stdout)).toMatchObject({ ok: true, wrote: false, file: null });
    expect(printed.written).toBeUndefined();
  });
});

describe('slipway init arguments', () => {
  it.each([
    [['--envs', 'staging,qa_1'], /--envs: invalid environment name "qa_1"/, /e\.g\. "qa-1"/],
    [['--envs', 'prod,PROD'], /--envs: environment "prod" is given twice/, /lowercased/],
    [['--envs', ' , '], /--envs: no environment names given/, /--envs staging,prod/],
    [['--project', 'My Shop'], /--project: invalid project name "My Shop"/, /e\.g\. "my-shop"/],
    [['--from', 'nope.yml'], /no compose file at nope\.yml/, /existing docker-compose\.yml/],
  ])('%j exits 2 and writes nothing', async (args, message, hint) => {
    const r = await run(['init', ...args], { 'docker-compose.yml': COMPOSE });
    expect(r.code).toBe(2);
    expect(r.written).toBeUndefined();
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(hint);
  });

  it('refuses to overwrite without --force', async () => {
    const r = await run(['init'], { 'slipway.yaml': 'x: 1\n' });
    expect(r.code).toBe(1);
    expect(r.written).toBe('x: 1\n');
  });

  it('without --from, writes the starter with the given project and environments', async () => {
    const r = await run(['init', '--project', 'shop', '--envs', 'dev,staging,prod']);
    expect(r.code).toBe(0);
    const doc = parse(r.written!);
    expect(doc.project).toBe('shop');
    expect(Object.keys(doc.environments)).toEqual(['dev', 'staging', 'prod']);
    expect(doc.environments.prod.protected).toBe(true);
    expect((await run(['validate'], { 'slipway.yaml': r.written! })).code).toBe(0);
  });
});
