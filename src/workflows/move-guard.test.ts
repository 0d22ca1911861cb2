// move-guard.ts through withEnvLock (the way deploy, rollback, restore and down reach it), against
// the FakeEngine: a move record on the server's state refuses what it must, names the move and
// how to end it, runs nothing and leaves no lock behind; a move's own steps and other actions pass.
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../config/load.ts';
import type { ServerConnection } from '../engine/connection.ts';
import { FakeEngine } from '../engine/fake-engine.ts';
import { desire } from '../plan/desire/desire.ts';
import { UserError } from '../diag/errors.ts';
import { withEnvLock, withEnvLocks } from './env-lock-run.ts';
import { lockName } from './lock.ts';
import { newRecord, recordPath, type MoveRecord } from './move/move-record.ts';
import { createReporter } from './reporter.ts';
import { serverRun, type ServerRun } from './server-run.ts';
import { StateStore } from './state-store.ts';

const FLEET = `project: acme
servers:
  old: { local: true, memory: 4GiB, cpus: 2, proxy: caddy, http_port: 8080 }
  new: { ssh: deploy@10.0.0.2, memory: 4GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  staging: { server: old, domain: "{app}-staging.localhost", tls: "off" }
  prod: { server: new, domain: "{app}.localhost", tls: "off" }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;

async function world(server: 'old' | 'new', phase?: MoveRecord['phase']): Promise<{ fake: FakeEngine; run: ServerRun; out: string[] }> {
  const loaded = loadFleet('/srv/acme/slipway.yaml', { text: FLEET });
  if (!loaded.fleet) throw new Error(JSON.stringify(loaded.diagnostics));
  const fleet = loaded.fleet;
  const fake = new FakeEngine(server);
  const now = () => Date.UTC(2025, 0, 1);
  const out: string[] = [];
  const conn: ServerConnection = {
    server: fleet.servers.find((s) => s.name === server)!,
    engine: fake,
    dialer: { dial: async () => Promise.reject(new Error('no dial')) },
    close: async () => {},
  };
  if (phase) {
    const store = new StateStore(fake, 'acme');
    const rec = newRecord('prod', 'old', 'new', now());
    rec.phase = phase;
    if (phase === 'cut-over') rec.cutover = { at: '2025-01-01T00:00:00.000Z', pauseMs: 4000, compare: [], reverse: true };
    await store.writeJson(recordPath('prod'), rec);
    await store.flush();
  }
  return { fake, run: serverRun(fleet, desire(fleet), conn, createReporter({ write: (t) => void out.push(t) }, now), now), out };
}

const opts = (action: string, extra: object = {}) => ({ command: `${action} prod`, action, lockWaitS: 0, ...extra });

async function refused(run: ServerRun, action: string, envs = ['prod']): Promise<{ error: UserError; ran: boolean }> {
  let ran = false;
  const error = await withEnvLocks(run, envs, opts(action), async () => {
    ran = true;
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  return { error: error as UserError, ran };
}

describe('a move under way refuses what would break it', () => {
  it('before the cutover: deploy, rollback, restore and down of the environment are refused on both servers; nothing runs; no lock is left', async () => {
    for (const server of ['old', 'new'] as const) {
      for (const action of ['deploy', 'rollback', 'restore', 'down']) {
        const w = await world(server, 'running');
        const r = await refused(w.run, action);
        expect(r.ran).toBe(false);
        expect(r.error.message).toBe(`prod is being moved from old to new: ${action} of prod on ${server} is refused during the move, before its cutover`);
        expect(r.error.hint).toContain('slipway move prod --resume');
        expect(r.error.hint).toContain('slipway move prod --rollback');
        expect(w.fake.find(lockName('acme', 'prod'))).toBeUndefined();
      }
    }
  });

  it('a rollback left half done: refused with the command that finishes it', async () => {
    const w = await world('new', 'rolling-back');
    const r = await refused(w.run, 'deploy');
    expect(r.error.message).toContain('refused during a rollback that did not finish');
    expect(r.error.hint).toBe('finish the rollback first: slipway move prod --rollback');
  });

  it('in the rollback window: a deploy on the target runs with a warning; on the source it is refused; restore and down are refused on both', async () => {
    const target = await world('new', 'cut-over');
    let ran = false;
    await withEnvLock(target.run, 'prod', opts('deploy'), async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(target.out.join('')).toContain('a `--rollback` of the move returns to the release old still has');
    const source = await world('old', 'cut-over');
    const r = await refused(source.run, 'deploy');
    expect(r.error.message).toBe('prod is being moved from old to new: deploy of prod on old is refused during the rollback window');
    expect(r.error.hint).toContain('new serves prod since 2025-01-01T00:00:00.000Z');
    for (const action of ['restore', 'down']) {
      const w = await world('new', 'cut-over');
      expect((await refused(w.run, action)).error.hint).toContain('slipway move prod --finish (keep new) or slipway move prod --rollback (back to old)');
    }
  });

  it('down of several environments is refused as a whole when one of them is being moved', async () => {
    const w = await world('old', 'running');
    const r = await refused(w.run, 'down', ['prod', 'staging']);
    expect(r.ran).toBe(false);
    expect(w.fake.find(lockName('acme', 'staging'))).toBeUndefined();
  });

  it("the move's own steps, backups, other environments and finished or rolled-back moves pass", async () => {
    const cases: [MoveRecord['phase'] | undefined, string, string[], object][] = [
      ['running', 'deploy', ['prod'], { duringMove: true }],
      ['cut-over', 'down', ['prod'], { duringMove: true }],
      ['running', 'backup', ['prod'], {}],
      ['running', 'deploy', ['staging'], {}],
      ['finished', 'deploy', ['prod'], {}],
      ['rolled-back', 'down', ['prod'], {}],
      [undefined, 'deploy', ['prod'], {}],
    ];
    for (const [phase, action, envs, extra] of cases) {
      const w = await world('old', phase);
      let ran = false;
      await withEnvLocks(w.run, envs, opts(action, extra), async () => {
        ran = true;
      });
      expect(ran, `${phase} ${action} ${envs.join(',')}`).toBe(true);
    }
  });
});
