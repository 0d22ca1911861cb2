// deploy()'s quick path (an app without release commands: its new web containers start while the
// history, recovery and infrastructure checks finish) against FakeEngines: when the checks pass it
// ends exactly where the careful path would; when they do not (an interrupted run to recover, no
// infrastructure yet, a release id already in the history) what it started is undone and the
// careful path runs, so no check is ever skipped; workers and singletons never start before the
// checks are in; a failure still records and audits it with the previous release serving.
import { describe, expect, it } from 'vitest';
import { containersOf, deployWith, fakeWorld, upAll, type FakeWorld } from '../../test/support/fake-session.ts';
import { readAudit } from './audit.ts';
import { releaseId } from './deploy-checks.ts';
import { UnhealthyError } from './health.ts';
import { lockName } from './lock.ts';
import { readHistory, writeHistory, type ReleaseRecord } from './releases.ts';
import { rollout } from './rollout.ts';
import { StateStore } from './state-store.ts';

const FLEET = `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  staging: { server: s1, domain: "{app}-staging.localhost", tls: "off" }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
      worker: { command: "node server.js worker", memory: 64MiB }
      beat: { command: "node server.js beat", singleton: true, memory: 64MiB }
`;

const slots = (release: string) => ['beat', 'web', 'worker'].map((p) => `acme-web-staging-${p}-0-${release}`);
const out = (w: FakeWorld) => w.stderr.join('');
const history = (w: FakeWorld) => readHistory(new StateStore(w.engine('s1'), 'acme'), 'web', 'staging');
const createdApp = (w: FakeWorld) =>
  w
    .engine('s1')
    .transcript.filter((e) => e.op === 'createContainer' && (e.args[0] as { labels: Record<string, string> }).labels['slipway.role'] === 'app')
    .map((e) => (e.args[0] as { name: string }).name);

async function world(): Promise<FakeWorld> {
  const w = await fakeWorld(FLEET);
  await upAll(w);
  return w;
}

describe('deploy quick path (FakeEngine)', () => {
  it('checks pass: the release goes live as on the careful path — old kept stopped, history, audit, lock released, no recovery', async () => {
    const w = await world();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'staging');
    f.clearTranscript();
    w.stderr.length = 0;
    const r2 = await deployWith(w, 'web', 'staging');

    expect(containersOf(f, 'app', 'running')).toEqual(slots(r2.release));
    expect(containersOf(f, 'app', 'exited')).toEqual(slots(r1.release));
    expect((await history(w)).releases.map((r) => [r.release, r.status])).toEqual([
      [r2.release, 'live'],
      [r1.release, 'previous'],
    ]);
    expect((await readAudit(new StateStore(f, 'acme'))).filter((e) => e.action === 'deploy').map((e) => [e.outcome, e.release ?? null])).toEqual([
      ['started', r1.release],
      ['ok', r1.release],
      ['started', r2.release],
      ['ok', r2.release],
    ]);
    expect(f.find(lockName('acme', 'staging'))).toBeUndefined();
    expect(out(w)).not.toMatch(/careful way|recovered|infrastructure/);
    expect(createdApp(w)).toEqual([`acme-web-staging-web-0-${r2.release}`, `acme-web-staging-worker-0-${r2.release}`, `acme-web-staging-beat-0-${r2.release}`]);
  });

  it('an interrupted run left behind: the quick start is undone, the careful path recovers first, and converges', async () => {
    const w = await world();
    const f = w.engine('s1');
    const run = w.run('s1');
    const r1 = await deployWith(w, 'web', 'staging');
    // A rollout to another release dies (engine lost, as with a killed CLI) right after the switch:
    // both releases run (but one singleton), the new one on the edge network, the history still names the old one.
    const app = w.fleet.apps[0]!;
    f.addImage('acme/web:staging-20250101120000');
    const rec: ReleaseRecord = { release: '20250101120000', image: 'acme/web:staging-20250101120000', deployedAt: '', deployedBy: 't', status: 'live' };
    await rollout(run, app, 'staging', rec, {
      drainMs: 0,
      keep: 3,
      checkpoint: (step) => {
        if (step === 'switched') {
          f.reachable = false;
          throw new Error('killed');
        }
      },
    }).catch(() => undefined);
    f.reachable = true;
    expect(containersOf(f, 'app', 'running')).toEqual([...slots('20250101120000'), ...slots(r1.release).slice(1)].sort());
    f.clearTranscript();
    w.stderr.length = 0;

    const r2 = await deployWith(w, 'web', 'staging');
    expect(out(w)).toContain('an interrupted run needs recovery: going the careful way');
    expect(out(w)).toMatch(/recovered from an interrupted run: .*removed acme-web-staging-web-0-20250101120000/);
    // Before the checks were in, only the new web container had started (workers and the singleton wait for them).
    const beforeRecovery = createdApp(w).slice(0, createdApp(w).indexOf(`acme-web-staging-web-0-${r2.release}`, 1));
    expect(beforeRecovery).toEqual([`acme-web-staging-web-0-${r2.release}`]);
    expect(containersOf(f, 'app', 'running')).toEqual(slots(r2.release));
    expect(containersOf(f, 'app').filter((n) => n.endsWith('20250101120000'))).toEqual([]);
    expect((await history(w)).current).toBe(r2.release);
    expect(f.find(lockName('acme', 'staging'))).toBeUndefined();
  });

  it('no infrastructure yet (first deploy without up): the careful path brings it up, then deploys', async () => {
    const w = await fakeWorld(FLEET);
    const f = w.engine('s1');
    const r = await deployWith(w, 'web', 'staging');
    expect(out(w)).toContain('the infrastructure changed since the last `up`: going the careful way');
    expect(out(w)).toContain('✓ infrastructure (networks, services, proxy)');
    expect(containersOf(f, 'app', 'running')).toEqual(slots(r.release));
    expect(containersOf(f, 'proxy', 'running')).toEqual(['acme-proxy']);
    expect((await history(w)).current).toBe(r.release);
  });

  it('a release id already in the history (no container or image left of it): a fresh id, and the first tag removed', async () => {
    const w = await world();
    const f = w.engine('s1');
    const taken = releaseId(w.clock.t + 60_000, new Set());
    const store = new StateStore(f, 'acme');
    const old: ReleaseRecord = { release: taken, image: `acme/web:staging-${taken}`, deployedAt: '', deployedBy: 't', status: 'failed', note: 'x' };
    await writeHistory(store, { app: 'web', env: 'staging', current: null, releases: [old] });
    const r = await deployWith(w, 'web', 'staging');
    expect(r.release).toBe(`${taken}-2`);
    expect(out(w)).toContain(`release id ${taken} is already in the history: going the careful way`);
    expect((await history(w)).releases.map((x) => [x.release, x.status])).toEqual([
      [`${taken}-2`, 'live'],
      [taken, 'failed'],
    ]);
    expect(f.images.has(`acme/web:staging-${taken}`)).toBe(false);
    expect(containersOf(f, 'app', 'running')).toEqual(slots(r.release));
  });

  it('an unhealthy release on the quick path: previous keeps serving, history and audit record the failure, lock released', async () => {
    const w = await world();
    const f = w.engine('s1');
    const r1 = await deployWith(w, 'web', 'staging');
    w.health.status = 503;
    const err = await deployWith(w, 'web', 'staging').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnhealthyError);
    expect(containersOf(f, 'app', 'running')).toEqual(slots(r1.release));
    expect(containersOf(f, 'app')).toEqual(slots(r1.release));
    const h = await history(w);
    expect(h.current).toBe(r1.release);
    expect(h.releases.map((x) => x.status)).toEqual(['failed', 'live']);
    expect((await readAudit(new StateStore(f, 'acme'))).at(-1)).toMatchObject({ action: 'deploy', outcome: 'failed' });
    expect(f.find(lockName('acme', 'staging'))).toBeUndefined();
  });
});
