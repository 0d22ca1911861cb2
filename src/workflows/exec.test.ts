// exec driven with no CLI, on a FakeEngine after a real deploy workflow: the argv runs unchanged
// (no shell) in the running container of that process and replica, its exit code and output come
// back as data; a process or replica that does not run is a clear error, and nothing is executed.
import { describe, expect, it } from 'vitest';
import { deployWith, fakeWorld } from '../../test/support/fake-session.ts';
import { execIn } from './exec.ts';

describe('execIn', () => {
  it('runs the argv in the live container of the process and returns exit code and output', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    const r = await deployWith(w, 'web', 'prod');
    f.onExec(['sh', '-c'], ({ argv }) => ({ exitCode: 7, stdout: `ran: ${argv[2]}\n`, stderr: 'warn\n' }));
    f.clearTranscript();
    const out = await execIn(w.run('s1'), { app: 'web', env: 'prod', process: 'worker', argv: ['sh', '-c', 'echo $HOME; exit 7'] });
    const container = `acme-web-prod-worker-0-${r.release}`;
    expect(out).toEqual({ container, result: { exitCode: 7, stdout: 'ran: echo $HOME; exit 7\n', stderr: 'warn\n' } });
    expect(f.calls('exec')).toEqual([[f.find(container)!.id, ['sh', '-c', 'echo $HOME; exit 7'], {}]]);
  });

  it('never reaches a stopped container of an older release', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    await deployWith(w, 'web', 'prod');
    const r2 = await deployWith(w, 'web', 'prod');
    f.clearTranscript();
    const out = await execIn(w.run('s1'), { app: 'web', env: 'prod', process: 'web', argv: ['true'] });
    expect(out.container).toBe(`acme-web-prod-web-0-${r2.release}`);
  });

  it('a replica or process that does not run, or no command: a clear error, nothing executed', async () => {
    const w = await fakeWorld();
    const f = w.engine('s1');
    await deployWith(w, 'web', 'prod');
    f.clearTranscript();
    await expect(execIn(w.run('s1'), { app: 'web', env: 'prod', process: 'web', replica: 1, argv: ['true'] })).rejects.toMatchObject({
      message: 'no running container of web/web (replica 1) in prod',
      hint: 'see: slipway status prod',
    });
    await expect(execIn(w.run('s1'), { app: 'web', env: 'staging', process: 'web', argv: ['true'] })).rejects.toThrow(
      'no running container of web/web (replica 0) in staging',
    );
    await expect(execIn(w.run('s1'), { app: 'web', env: 'prod', process: 'web', argv: [] })).rejects.toThrow('no command to run');
    expect(f.ops('exec')).toEqual([]);
  });
});
