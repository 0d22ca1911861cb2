// The run of a build-only server: the session's own run when the server is part of the fleet,
// else a bare run on its connection that desires nothing (so a deploy builds there and nothing else).
import { describe, expect, it } from 'vitest';
import { fakeWorld, TWO_SERVERS } from '../../test/support/fake-session.ts';
import { buildServerRun } from './build-run.ts';

const WITH_BUILDER = TWO_SERVERS.replace('servers:\n', 'servers:\n  b1: { ssh: deploy@192.0.2.9, memory: 16GiB, cpus: 8 }\n');

describe('buildServerRun', () => {
  it('a server that runs part of the fleet: its own run', async () => {
    const w = await fakeWorld();
    expect(buildServerRun(w.session, 's2')).toBe(w.run('s2'));
  });

  it('a server that runs nothing of the fleet: a run on its own engine and state that desires no container of an app', async () => {
    const w = await fakeWorld(WITH_BUILDER);
    const run = buildServerRun(w.session, 'b1');
    expect(run.conn.server.name).toBe('b1');
    expect(run.conn.engine).toBe(w.engine('b1'));
    expect(run.store.engine).toBe(w.engine('b1'));
    expect(run.state.containers.filter((c) => c.role === 'app')).toEqual([]);
    expect(run.state.routes).toEqual([]);
  });

  it('a server without a run in the session (desire skipped it): a bare run on its connection', async () => {
    const w = await fakeWorld(WITH_BUILDER);
    w.session.runs.delete('b1');
    const run = buildServerRun(w.session, 'b1');
    expect(run.conn.engine).toBe(w.engine('b1'));
    expect(run.store.engine).toBe(w.engine('b1'));
    expect(run.state).toMatchObject({ server: 'b1', containers: [], routes: [], networks: [], volumes: [], databases: [], redisDbs: [] });
  });

  it('a server the session did not open: a clear error', async () => {
    const w = await fakeWorld(WITH_BUILDER, { servers: ['s1'] });
    expect(() => buildServerRun(w.session, 'b1')).toThrow('cannot reach build server b1');
  });
});
