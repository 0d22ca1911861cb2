// Deploys are safe to interrupt and serialized, on the real engine with the real CLI and Caddy:
// a deploy SIGKILLed at each step boundary leaves the app serving and a stale lock that the next
// deploy takes over, converging to exactly the live release with no orphans; two deploys to one
// environment never run at once (one is refused naming the holder, or waits with --lock-wait);
// prod takes only tags.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipway, slipwayOk, startSlipway, type CliResult } from './support/cli.ts';
import { get } from './support/http.ts';
import { cleanupProject, freePort, makeProject, type TestProject } from './support/project.ts';
import { appContainers, history, lockStatus, releaseImages, safetyFleet, waitForStderr, type History } from './support/safety-state.ts';

let p: TestProject;
let port: number;
const STAGING = 'web-staging.localhost';
const DEPLOY = ['deploy', 'web', 'staging', '--ref', 'develop', '--drain', '200'];
const observations: Record<string, unknown>[] = [];

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['node', 'caddy']);
  p = makeProject('safe');
  port = await freePort();
  p.writeFleet(safetyFleet(p.project, port));
  p.commit('fleet');
  p.git(['branch', '-f', 'develop', 'HEAD']);
  await slipwayOk(DEPLOY, { cwd: p.dir });
}, 600_000);

afterAll(async () => {
  if (observations.length) console.log(`deploy-safety observations:\n${observations.map((o) => JSON.stringify(o)).join('\n')}`);
  if (p) await cleanupProject(p.project, p.dir);
});

const cwd = () => p.dir;
const deployedRelease = (r: CliResult): string => {
  const m = /web deployed release (\S+) in staging/.exec(r.stdout);
  if (!m) throw new Error(`no release in deploy output:\n${r.stdout}\n${r.stderr}`);
  return m[1]!;
};

/** The URL answers 200 with a release; returns that release. */
async function servedRelease(host = STAGING): Promise<string> {
  const r = await get(port, host, '/');
  expect(r.status, `GET ${host} answered ${r.status}: ${r.body}`).toBe(200);
  const body = JSON.parse(r.body) as { release?: string; process?: string };
  expect(body.process).toBe('web');
  expect(body.release).toMatch(/^\d{14}(-\d+)?$/);
  return body.release!;
}

/** One running container per slot, all of the live release; nothing outside live/previous; no tasks; URL on live; lock free. */
async function expectConverged(expectedLive: string): Promise<History> {
  const h = await history(cwd(), 'web', 'staging');
  expect(h.current).toBe(expectedLive);
  const cs = await appContainers(p.project, 'web', 'staging');
  const running = cs.filter((c) => c.role === 'app' && c.state === 'running');
  expect(running.map((c) => c.slot).sort()).toEqual(['beat/0', 'web/0', 'worker/0']);
  expect(running.filter((c) => c.release !== expectedLive)).toEqual([]);
  const kept = new Set(h.releases.filter((r) => r.status === 'live' || r.status === 'previous').map((r) => r.release));
  expect(
    cs.filter((c) => !kept.has(c.release)),
    'containers of releases neither live nor previous',
  ).toEqual([]);
  expect(
    cs.filter((c) => c.role !== 'app'),
    'leftover release-task containers',
  ).toEqual([]);
  expect(await servedRelease()).toBe(expectedLive);
  expect(await lockStatus(cwd(), 'staging')).toMatchObject({ locked: false });
  return h;
}

// Step boundary → what stderr must show (reached) and must not show (not reached yet).
const KILL_POINTS: [step: string, reached: RegExp, notReached: RegExp][] = [
  ['locked', /✓ lock staging on local/, /→ infrastructure/],
  ['built', /✓ build develop \(\w+\) on local/, /→ release command/],
  ['released', /✓ release command 1\/1: node server.js migrate/, /→ start /],
  ['started', /✓ start \S*beat\S*/, /→ switch /],
  ['switched', /✓ switch /, /→ drain/],
  ['recorded', /✓ switch /, /→ drain/],
  ['drained', /✓ drain 200 ms/, /→ stop previous containers/],
  ['stopped-old', /✓ stop previous containers/, /deployed release/],
];

describe.sequential('deploy interrupted by SIGKILL at each step boundary', () => {
  it.each(KILL_POINTS)(
    'killed at %s: keeps serving, leaves a stale lock, and the next deploy takes over and converges',
    async (step, reached, notReached) => {
      const before = await history(cwd(), 'web', 'staging');
      expect(before.current).toBeTruthy();
      const releasesBefore = new Set(before.releases.map((r) => r.release));

      const t0 = Date.now();
      const run = startSlipway(DEPLOY, { cwd: cwd(), env: { SLIPWAY_TEST_KILL_AT: step } });
      const killed = await run.done;
      const killedMs = Date.now() - t0;
      expect(killed.signal, `deploy was expected to die by SIGKILL at ${step}\n${killed.stderr}`).toBe('SIGKILL');
      expect(killed.stderr).toMatch(reached);
      expect(`${killed.stderr}${killed.stdout}`).not.toMatch(notReached);

      // Right after the kill the URL still answers, with a release that was (or was becoming) live.
      const servedAfterKill = await servedRelease();
      const left = await appContainers(p.project, 'web', 'staging');
      const killedRelease = [...new Set(left.map((c) => c.release))].find((r) => !releasesBefore.has(r));
      expect([before.current, killedRelease]).toContain(servedAfterKill);
      const afterKill = await history(cwd(), 'web', 'staging');

      const lock = await lockStatus(cwd(), 'staging');
      expect(lock).toMatchObject({ locked: true, stale: true, pid: run.child.pid, command: 'deploy web staging --ref develop' });

      const t1 = Date.now();
      const rerun = await slipway(DEPLOY, { cwd: cwd() });
      const rerunMs = Date.now() - t1;
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(rerun.stderr).toMatch(/lock on staging was left by pid \d+ .*no longer running: taking it over/);
      const live = deployedRelease(rerun);
      const h = await expectConverged(live);

      observations.push({
        step,
        killedMs,
        rerunMs,
        killedRelease: killedRelease ?? null,
        servedAfterKill: servedAfterKill === before.current ? 'previous live' : 'killed release',
        historyAfterKill: afterKill.current === before.current ? 'previous live' : 'killed release',
        leftAfterKill: left
          .filter((c) => !releasesBefore.has(c.release) || c.state !== 'exited')
          .map((c) => `${c.slot}@${c.release === killedRelease ? 'killed' : c.release === before.current ? 'prev' : c.release}:${c.state}`),
        recovered: /recovered from an interrupted run: (.*)/.exec(rerun.stderr)?.[1] ?? null,
        historyAfter: h.releases.map((r) => r.status).join(','),
        // Not asserted (reported): release images left by runs that never reached the history.
        imagesOutsideHistory: (await releaseImages(p.project, 'web')).filter((r) => /^\d{14}/.test(r) && !h.releases.some((x) => x.release === r)),
      });
    },
    300_000,
  );
});

describe.sequential('deploys to one environment are serialized', () => {
  it('two deploys started at once: exactly one succeeds, the other names the lock holder', async () => {
    const a = startSlipway(DEPLOY, { cwd: cwd() });
    const b = startSlipway(DEPLOY, { cwd: cwd() });
    const results = await Promise.all([a.done, b.done]);
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(ok, results.map((r) => r.stderr).join('\n---\n')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.signal).toBeNull();
    expect(refused[0]!.stderr).toContain('is locked by');
    expect(refused[0]!.stderr).toContain('deploy web staging');
    expect(refused[0]!.stderr).toMatch(/error: environment staging on local is locked by \S+ \(pid \d+ on \S+\) running "deploy web staging --ref develop"/);
    expect(refused[0]!.stderr).not.toMatch(/\n\s+at /);
    await expectConverged(deployedRelease(ok[0]!));
  }, 300_000);

  it('--lock-wait makes a second deploy wait for the first, then succeed', async () => {
    const first = startSlipway(DEPLOY, { cwd: cwd() });
    await waitForStderr(first.child, /✓ lock staging on local/);
    const second = startSlipway([...DEPLOY, '--lock-wait', '120'], { cwd: cwd() });
    const [r1, r2] = await Promise.all([first.done, second.done]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    const rel1 = deployedRelease(r1);
    const rel2 = deployedRelease(r2);
    expect(rel2 > rel1).toBe(true);
    const h = await expectConverged(rel2);
    expect(h.releases.slice(0, 2).map((r) => [r.release, r.status])).toEqual([
      [rel2, 'live'],
      [rel1, 'previous'],
    ]);
    // Serialized: the second deploy started (under the lock) only after the first had finished.
    const log = JSON.parse((await slipwayOk(['audit', 'staging', '--json'], { cwd: cwd() })).stdout) as { action: string; release?: string; outcome: string }[];
    expect(
      log
        .filter((e) => e.action === 'deploy' && (e.release === rel1 || e.release === rel2))
        .map((e) => `${e.release === rel1 ? 'first' : 'second'} ${e.outcome}`),
    ).toEqual(['first started', 'first ok', 'second started', 'second ok']);
  }, 300_000);
});

describe.sequential('deploy policy and lock commands', () => {
  it('refuses a prod deploy from a branch, accepts a matching tag', async () => {
    const refused = await slipway(['deploy', 'web', 'prod', '--ref', 'develop', '--drain', '200'], { cwd: cwd() });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/prod deploys only from a git tag matching "v\*"; "develop" is a branch, not a tag/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(await lockStatus(cwd(), 'prod')).toMatchObject({ locked: false });

    const ok = await slipwayOk(['deploy', 'web', 'prod', '--ref', 'v1.0.0', '--drain', '200'], { cwd: cwd() });
    const release = /web deployed release (\S+) in prod/.exec(ok.stdout)?.[1];
    expect(release).toBeTruthy();
    expect(await servedRelease('web.localhost')).toBe(release);
  });

  it('lock release on a free environment says it was not locked', async () => {
    const r = await slipwayOk(['lock', 'release', 'staging'], { cwd: cwd() });
    expect(r.stdout).toBe('staging was not locked\n');
  });
});
