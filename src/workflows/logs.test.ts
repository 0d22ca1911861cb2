// Logs driven with no CLI, on a FakeEngine after a real deploy workflow: the last lines of each
// running container of the app (or of one process), a follow that hands each line to a callback,
// and a clear error when nothing of the app runs. Stopped containers of older releases are skipped.
import { describe, expect, it } from 'vitest';
import { deployWith, fakeWorld, type FakeWorld } from '../../test/support/fake-session.ts';
import { followLogs, type LogLine, readLogs } from './logs.ts';

async function deployed(): Promise<{ w: FakeWorld; release: string }> {
  const w = await fakeWorld();
  const f = w.engine('s1');
  f.onStart('acme-web-prod-web-', { logs: 'listening on 8000\nGET /health 200\nGET / 200\n' });
  f.onStart('acme-web-prod-worker-', { logs: 'worker ready\n' });
  const r = await deployWith(w, 'web', 'prod');
  return { w, release: r.release };
}

describe('readLogs', () => {
  it('the last lines of every running container of the app, per container', async () => {
    const { w, release } = await deployed();
    const out = await readLogs(w.run('s1'), { app: 'web', env: 'prod', tail: 100 });
    expect(out).toEqual([
      { container: `acme-web-prod-web-0-${release}`, process: 'web', lines: ['listening on 8000', 'GET /health 200', 'GET / 200'] },
      { container: `acme-web-prod-worker-0-${release}`, process: 'worker', lines: ['worker ready'] },
    ]);
  });

  it('one process, last N lines; containers of an older, stopped release are left out', async () => {
    const { w } = await deployed();
    const r2 = await deployWith(w, 'web', 'prod');
    const out = await readLogs(w.run('s1'), { app: 'web', env: 'prod', process: 'web', tail: 1 });
    expect(out).toEqual([{ container: `acme-web-prod-web-0-${r2.release}`, process: 'web', lines: ['GET / 200'] }]);
    expect(w.engine('s1').calls('containerLogs').at(-1)).toEqual([w.engine('s1').find(`acme-web-prod-web-0-${r2.release}`)!.id, { tail: 1 }]);
  });

  it('nothing running: a clear error that says how to fix it', async () => {
    const w = await fakeWorld();
    await expect(readLogs(w.run('s1'), { app: 'web', env: 'prod', tail: 10 })).rejects.toMatchObject({
      message: 'no running container of web in prod',
      hint: 'deploy it first: slipway deploy web prod',
    });
    const { w: w2 } = await deployed();
    await expect(readLogs(w2.run('s1'), { app: 'web', env: 'prod', process: 'beat', tail: 10 })).rejects.toThrow('no running container of web/beat in prod');
  });
});

describe('followLogs', () => {
  it('hands every line of every container to the callback, then resolves when the streams end', async () => {
    const { w, release } = await deployed();
    const lines: LogLine[] = [];
    await followLogs(w.run('s1'), { app: 'web', env: 'prod', tail: 2, onLine: (l) => lines.push(l) });
    expect(lines).toEqual([
      { container: `acme-web-prod-web-0-${release}`, process: 'web', line: 'GET /health 200' },
      { container: `acme-web-prod-web-0-${release}`, process: 'web', line: 'GET / 200' },
      { container: `acme-web-prod-worker-0-${release}`, process: 'worker', line: 'worker ready' },
    ]);
    expect(
      w
        .engine('s1')
        .calls('containerLogs')
        .map((a) => a[1]),
    ).toEqual([
      { tail: 2, follow: true },
      { tail: 2, follow: true },
    ]);
  });

  it('an aborted signal stops following at once', async () => {
    const { w } = await deployed();
    const lines: LogLine[] = [];
    await followLogs(w.run('s1'), { app: 'web', env: 'prod', tail: 10, onLine: (l) => lines.push(l), signal: AbortSignal.abort() });
    expect(lines).toEqual([]);
  });
});
