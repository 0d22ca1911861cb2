// `slipway maintenance`, `lock status|release` and `secret set|list|rm` in process, against
// FakeEngines: what a user sees (human and --json) is pinned here, so the move of their logic into
// workflows/ keeps every output; a secret value never appears in anything printed.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { cliOn, fakeWorld, upAll } from '../../../test/support/fake-session.ts';
import { operator } from '../../workflows/audit.ts';
import { EnvLock } from '../../workflows/lock.ts';
import { StateStore } from '../../workflows/state-store.ts';

/** Output with this machine's user, host and pid replaced, so the pinned text holds anywhere. */
const norm = (s: string) => s.split(operator()).join('USER@HOST').split(hostname()).join('HOST').split(`pid ${process.pid}`).join('pid PID');

describe('slipway maintenance', () => {
  it('on and off, human and JSON', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const cli = await cliOn(w);
    const on = await cli(['maintenance', 'on', 'web', 'prod']);
    expect(on).toMatchObject({ code: 0, stdout: 'maintenance on for web in prod\n' });
    const off = await cli(['maintenance', 'off', 'web', 'prod', '--json']);
    expect(off.code).toBe(0);
    expect(JSON.parse(off.stdout)).toEqual({ ok: true, app: 'web', env: 'prod', maintenance: false });
    const unrouted = await cli(['maintenance', 'on', 'web', 'prd']);
    expect(unrouted.code).toBe(2);
    expect(unrouted.stderr).toContain('unknown environment "prd"');
  });
});

describe('slipway lock', () => {
  it('status: a table of every environment, held and stale locks spelled out; JSON rows', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    await new EnvLock(w.engine('s1'), 'acme', 'staging').acquire({ command: 'deploy web staging', now: () => w.clock.t });
    const r = await cli(['lock', 'status']);
    expect(r.code).toBe(0);
    expect(norm(r.stdout)).toBe(
      [
        'ENV      SERVER  LOCK',
        'staging  s1      held by USER@HOST (pid PID) running "deploy web staging" since 2025-01-01T00:00:00.000Z',
        'prod     s1      free',
        'qual     s2      free',
        '',
      ].join('\n'),
    );
    const j = await cli(['lock', 'status', 'staging', '--json']);
    expect(JSON.parse(j.stdout)).toEqual([
      {
        env: 'staging',
        server: 's1',
        locked: true,
        stale: false,
        holder: operator(),
        host: hostname(),
        pid: process.pid,
        command: 'deploy web staging',
        since: '2025-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('release: says whose lock it removed, or that there was none; JSON', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    await new EnvLock(w.engine('s2'), 'acme', 'qual').acquire({ command: 'up', now: () => w.clock.t });
    const r = await cli(['lock', 'release', 'qual']);
    expect(r.code).toBe(0);
    expect(norm(r.stdout)).toBe('released the lock of qual on s2 (held by USER@HOST, pid PID, "up")\n');
    expect(await cli(['lock', 'release', 'qual'])).toMatchObject({ code: 0, stdout: 'qual was not locked\n' });
    await new EnvLock(w.engine('s2'), 'acme', 'qual').acquire({ command: 'up', now: () => w.clock.t });
    const j = JSON.parse((await cli(['lock', 'release', 'qual', '--json'])).stdout);
    expect(j).toEqual({
      ok: true,
      released: [{ server: 's2', holder: operator(), host: hostname(), pid: process.pid, command: 'up', since: expect.any(String) }],
    });
  });
});

describe('slipway secret', () => {
  const VALUE = 'tr0ub4dor&3-long-enough';

  it('set, list and rm: where, never the value; human and JSON', async () => {
    const w = await fakeWorld();
    await upAll(w);
    const cli = await cliOn(w);
    const printed: string[] = [];
    const run = async (args: string[], input?: string) => {
      const r = await cli(args, input);
      printed.push(r.stdout, r.stderr);
      return r;
    };
    expect(await run(['secret', 'set', 'basic-auth-staging'], `${VALUE}\n`)).toMatchObject({
      code: 0,
      stdout: 'secret basic-auth-staging set on s1, s2\n',
    });
    expect((await new StateStore(w.engine('s1'), 'acme').getSecret('basic-auth-staging'))?.reveal()).toBe(VALUE);
    const scoped = await run(['secret', 'set', 'api-key', '--env', 'qual', '--json'], VALUE);
    expect(JSON.parse(scoped.stdout)).toEqual({ ok: true, store: 'server', name: 'api-key', env: 'qual', servers: ['s2'] });
    const list = await run(['secret', 'list']);
    expect(list.stdout).toBe(
      [
        'SERVER  SECRET              ENV',
        's1      basic-auth-staging  (all)',
        's2      basic-auth-staging  (all)',
        's2      api-key             qual',
        '',
      ].join('\n'),
    );
    expect(JSON.parse((await run(['secret', 'list', '--json'])).stdout)).toEqual([
      { store: 'server', server: 's1', name: 'basic-auth-staging', env: null },
      { store: 'server', server: 's2', name: 'basic-auth-staging', env: null },
      { store: 'server', server: 's2', name: 'api-key', env: 'qual' },
    ]);
    expect(await run(['secret', 'rm', 'api-key', '--env', 'qual'])).toMatchObject({ code: 0, stdout: 'secret api-key (qual) removed from s2\n' });
    expect(await run(['secret', 'rm', 'api-key', '--env', 'qual'])).toMatchObject({ code: 0, stdout: 'secret api-key was not set\n' });
    expect(JSON.parse((await run(['secret', 'rm', 'basic-auth-staging', '--json'])).stdout)).toEqual({
      ok: true,
      store: 'server',
      name: 'basic-auth-staging',
      env: null,
      removedFrom: ['s1', 's2'],
    });
    expect(printed.join('')).not.toContain(VALUE);
  });

  it('no value on standard input, or an unknown environment: an error with a hint, nothing written', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    const empty = await cli(['secret', 'set', 'api-key'], '');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe('error: no secret value on standard input\n  hint: e.g. printf %s "$VALUE" | slipway secret set api-key\n');
    const env = await cli(['secret', 'set', 'api-key', '--env', 'qal'], VALUE);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('unknown environment "qal"');
    expect(env.stderr).toContain('did you mean "qual"?');
    for (const e of w.engines.values()) expect(e.ops('putArchive')).toEqual([]);
  });
});
