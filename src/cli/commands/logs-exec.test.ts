// `slipway logs` and `slipway exec` in process, against a FakeEngine after a real deploy: the lines
// and JSON a user sees, and exec's exit code and streams, are pinned here (the work is in the logs
// and exec workflows).
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith, fakeWorld } from '../../../test/support/fake-session.ts';

async function deployed() {
  const w = await fakeWorld();
  const f = w.engine('s1');
  f.onStart('acme-web-prod-web-', { logs: 'listening on 8000\nGET / 200\n' });
  f.onStart('acme-web-prod-worker-', { logs: 'worker ready\n' });
  const r = await deployWith(w, 'web', 'prod');
  return { w, f, release: r.release, cli: await cliOn(w) };
}

describe('slipway logs', () => {
  it('lines of every container, prefixed with its name; -n; one process; JSON', async () => {
    const { release, cli } = await deployed();
    expect(await cli(['logs', 'web', 'prod'])).toMatchObject({
      code: 0,
      stdout: [
        `acme-web-prod-web-0-${release}| listening on 8000`,
        `acme-web-prod-web-0-${release}| GET / 200`,
        `acme-web-prod-worker-0-${release}| worker ready`,
        '',
      ].join('\n'),
    });
    expect((await cli(['logs', 'web', 'prod', 'web', '-n', '1'])).stdout).toBe(`acme-web-prod-web-0-${release}| GET / 200\n`);
    expect(JSON.parse((await cli(['logs', 'web', 'prod', 'worker', '--json'])).stdout)).toEqual([
      { container: `acme-web-prod-worker-0-${release}`, lines: ['worker ready'] },
    ]);
  });

  it('--follow: lines prefixed with the process', async () => {
    const { cli } = await deployed();
    const r = await cli(['logs', 'web', 'prod', '-f']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('web| listening on 8000\nweb| GET / 200\nworker| worker ready\n');
  });

  it('nothing running, or an unknown process: an error with a hint', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    expect(await cli(['logs', 'web', 'prod'])).toMatchObject({
      code: 1,
      stderr: 'error: no running container of web in prod\n  hint: deploy it first: slipway deploy web prod\n',
    });
    const bad = await cli(['logs', 'web', 'prod', 'wrker']);
    expect(bad.stderr).toContain('unknown process "wrker"');
    expect(bad.stderr).toContain('did you mean "worker"?');
  });
});

describe('slipway exec', () => {
  it('stdout and stderr passed through, exit code kept; JSON', async () => {
    const { f, cli } = await deployed();
    f.onExec(['ls'], { exitCode: 3, stdout: 'a\nb\n', stderr: 'ls: c: No such file\n' });
    expect(await cli(['exec', 'web', 'prod', 'worker', '--', 'ls', 'a', 'b', 'c'])).toEqual({ code: 3, stdout: 'a\nb\n', stderr: 'ls: c: No such file\n' });
    const j = await cli(['exec', 'web', 'prod', 'worker', '--json', '--', 'ls', '-l']);
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout)).toEqual({ exitCode: 3, stdout: 'a\nb\n', stderr: 'ls: c: No such file\n' });
    expect(f.calls('exec').at(-1)?.[1]).toEqual(['ls', '-l']);
  });

  it('a replica that does not run: an error with a hint', async () => {
    const { cli } = await deployed();
    expect(await cli(['exec', 'web', 'prod', 'web', '--replica', '2', '--', 'true'])).toMatchObject({
      code: 1,
      stderr: 'error: no running container of web/web (replica 2) in prod\n  hint: see: slipway status prod\n',
    });
  });
});
