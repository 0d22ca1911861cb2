// `slipway move` under faults, on the simulated servers, under load (keep-alive reads and a writer
// from the host): the CLI SIGKILLed at every stage boundary and inside the cutover (writes held, the
// process gone), and the target's sshd dropped during the pre-copy. Each time `--resume` converges:
// the move ends cut over with every acknowledged row on the target, tables identical, no failed
// request, and nothing running twice (one beat at a time, one set of workers, one relay per server).
// Fails (never skips) without the hosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, stopSshd } from './harness/hosts.ts';
import { slipway, startSlipway, type CliResult } from './support/cli.ts';
import { waitForLine } from './support/multi-hosts.ts';
import { failuresOf, loadSummary, startMoveLoad } from './support/move-load.ts';
import { beatHostnames, HTTP_PORT, IP, moveFleetYaml, moveWorld, SEED_SQL, type MoveWorld } from './support/move-world.ts';

const ROWS = 100_000;
const HOST = 'shop.example.test';
let w: MoveWorld;
const figures: Record<string, unknown> = {};
const cli = (args: string[], extra: Record<string, string> = {}) => slipway(args, { cwd: w.p.dir, env: { ...w.env, ...extra } });
const noStack = (r: CliResult) => expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/\n\s+at .+\(.*:\d+:\d+\)/);

beforeAll(async () => {
  w = await moveWorld('mvf');
  w.p.writeFleet(moveFleetYaml({ project: w.p.project, postgres: 'postgres:15', envs: { prod: { server: 'old', domain: '{app}.example.test' } } }));
  w.p.commit('fleet');
  const r = await cli(['deploy', 'shop', 'prod']);
  expect(r.code, r.stderr).toBe(0);
  w.psql('hostA', 'shop_prod', SEED_SQL('shop_prod', ROWS));
  w.p.writeFleet(moveFleetYaml({ project: w.p.project, postgres: 'postgres:17', envs: { prod: { server: 'new', domain: '{app}.example.test' } } }));
}, 900_000);

afterAll(async () => {
  await startSshd('hostB').catch(() => undefined);
  console.log(`move faults figures: ${JSON.stringify(figures)}`);
  if (w) await w.cleanup();
}, 300_000);

describe('move under faults: SIGKILL at every stage boundary, the target sshd dropped mid pre-copy', () => {
  it('each --resume converges: cut over, nothing lost, nothing running twice', async () => {
    const load = startMoveLoad({ ip: IP.hostA, port: HTTP_PORT, host: HOST, connections: 3, maxItem: ROWS });
    const kills: string[] = [];
    try {
      const killedAt = async (args: string[], point: string) => {
        const r = await cli(args, { SLIPWAY_TEST_KILL_AT: point });
        expect(r.signal, `${point}: ${r.stderr}`).toBe('SIGKILL');
        kills.push(point);
      };
      await killedAt(['move', 'prod', '--to', 'new'], 'after-preflight');
      await killedAt(['move', 'prod', '--resume'], 'after-provision');
      // The target's sshd goes away while the pre-copy runs: the command fails cleanly.
      const run = startSlipway(['move', 'prod', '--resume'], { cwd: w.p.dir, env: w.env });
      await waitForLine(run.child.stderr!, /→ \[new\] (volume|schema of|replication of)/, 120_000);
      await stopSshd('hostB');
      const cut = await run.done;
      noStack(cut);
      expect(cut.code, cut.stderr).not.toBe(0);
      expect(cut.stderr).toMatch(/error: /);
      figures.sshdDrop = cut.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:'))[0];
      await startSshd('hostB');
      const status = await cli(['move', 'prod', '--status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/next stage: precopy/);
      await killedAt(['move', 'prod', '--resume'], 'after-precopy');
      await killedAt(['move', 'prod', '--resume'], 'after-test');
      // Inside the cutover: writes are held and the process is gone; a resume finishes the job.
      await killedAt(['move', 'prod', '--resume'], 'cutover:held');
      await killedAt(['move', 'prod', '--resume'], 'cutover:switched');
      const last = await cli(['move', 'prod', '--resume', '--json']);
      expect(last.code, last.stderr).toBe(0);
      const rec = (JSON.parse(last.stdout) as { record: { phase: string; cutover: { compare: { equal: boolean }[]; pauseMs: number } } }).record;
      expect(rec.phase).toBe('cut-over');
      expect(rec.cutover.compare.filter((c) => !c.equal)).toEqual([]);
      figures.kills = kills;
    } catch (e) {
      figures.kills = kills;
      await load.stop();
      throw e;
    }
    await new Promise((r) => setTimeout(r, 2000));
    const report = await load.stop();
    figures.load = loadSummary(report);
    expect(failuresOf(report), loadSummary(report)).toBe(0);
    const onB = new Set(w.psql('hostB', 'shop_prod', 'SELECT id FROM writes;').split('\n').filter(Boolean).map(Number));
    expect(report.acked.filter((id) => !onB.has(id))).toEqual([]);
    // Nothing running twice: one beat and one worker, on hostB only; one relay per server at most.
    const running = async (host: 'hostA' | 'hostB', process: string) =>
      (await w.docker[host].listContainers({ filters: { label: [`slipway.project=${w.p.project}`, `slipway.process=${process}`] } })).length;
    expect([await running('hostA', 'beat'), await running('hostB', 'beat')]).toEqual([0, 1]);
    expect([await running('hostA', 'worker'), await running('hostB', 'worker')]).toEqual([0, 1]);
    expect(await running('hostB', 'web')).toBe(1);
    for (const host of ['hostA', 'hostB'] as const) {
      const relays = await w.docker[host].listContainers({ all: true, filters: { label: [`slipway.project=${w.p.project}`, 'slipway.role=move-relay'] } });
      expect(relays.length).toBeLessThanOrEqual(1);
    }
    const beatsA = await beatHostnames(w.docker.hostA, w.p.project, 'prod');
    const beatsB = await beatHostnames(w.docker.hostB, w.p.project, 'prod');
    const [lastA, firstB] = w
      .psql(
        'hostB',
        'shop_prod',
        `SELECT (SELECT extract(epoch FROM max(at)) FROM beats WHERE host IN (${beatsA.map((i) => `'${i}'`).join(',') || "''"})) || '|' || (SELECT extract(epoch FROM min(at)) FROM beats WHERE host IN (${beatsB.map((i) => `'${i}'`).join(',') || "''"}));`,
      )
      .split('|')
      .map(Number);
    expect(lastA!).toBeLessThan(firstB!);
  }, 1_500_000);
});
