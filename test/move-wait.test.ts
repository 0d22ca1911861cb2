// `move.held_writes: wait` on the simulated servers: during the cutover's and the rollback's write
// pause, writes wait in the proxies instead of getting a 503. The source's proxy sends them to the
// target's, whose web processes are paused (docker pause) until the switch, so they are answered
// there, by the copy that then takes writes. Under keep-alive reads and a back-to-back writer from
// the host: no request fails, no write ever sees a 503, every acknowledged row is on the side that
// serves afterwards, and no web process stays paused. Prints the writer's longest write (the pause
// as a waiting client sees it) beside the record's pauseMs. Then the CLI is SIGKILLed inside a wait
// pause (hostB's web frozen, a write waiting in it): `--resume` answers that write, on hostB.
// Fails (never skips) without the hosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slipway, slipwayOk, type CliResult } from './support/cli.ts';
import { failuresOf, httpVia, loadSummary, startMoveLoad, type MoveLoadReport } from './support/move-load.ts';
import { HTTP_PORT, IP, moveFleetYaml, moveWorld, SEED_SQL, type MoveWorld } from './support/move-world.ts';

const ROWS = 20_000;
const HOST = 'shop.example.test';
let w: MoveWorld;
const figures: Record<string, unknown> = {};

const cliOk = (args: string[]) => slipwayOk(args, { cwd: w.p.dir, env: w.env });
interface MoveJson {
  record: { phase: string; cutover?: { pauseMs: number; compare: { equal: boolean }[] }; switch?: { pauseMs?: number; pausedWeb?: string[] } };
  steps: { label: string; ms: number }[];
}
const json = (r: CliResult) => JSON.parse(r.stdout) as MoveJson;
const idsOn = (host: 'hostA' | 'hostB') => new Set(w.psql(host, 'shop_prod', 'SELECT id FROM writes;').split('\n').filter(Boolean).map(Number));

async function underLoad<T>(step: () => Promise<T>): Promise<{ result: T; load: MoveLoadReport }> {
  // Clients that wait: their timeout is above the proxies' 60 s for a held write (a browser's is minutes).
  const load = startMoveLoad({ ip: IP.hostA, port: HTTP_PORT, host: HOST, connections: 3, maxItem: ROWS, timeoutMs: 65_000 });
  await new Promise((r) => setTimeout(r, 2000));
  try {
    const result = await step();
    await new Promise((r) => setTimeout(r, 2000));
    return { result, load: await load.stop() };
  } catch (e) {
    await load.stop();
    throw e;
  }
}

/** The env's web containers on a host that are paused (docker ps shows them with status "paused"). */
async function pausedWeb(host: 'hostA' | 'hostB'): Promise<string[]> {
  const list = await w.docker[host].listContainers({ all: true, filters: { label: [`slipway.project=${w.p.project}`, 'slipway.process=web'] } });
  return list.filter((c) => c.State === 'paused').map((c) => c.Names[0]!);
}

beforeAll(async () => {
  w = await moveWorld('mvw');
  const fleet = (server: 'old' | 'new', postgres: string) =>
    moveFleetYaml({ project: w.p.project, postgres, heldWrites: 'wait', envs: { prod: { server, domain: '{app}.example.test' } } });
  w.p.writeFleet(fleet('old', 'postgres:15'));
  w.p.commit('fleet');
  await cliOk(['deploy', 'shop', 'prod']);
  w.psql('hostA', 'shop_prod', SEED_SQL('shop_prod', ROWS));
  w.p.writeFleet(fleet('new', 'postgres:17'));
}, 900_000);

afterAll(async () => {
  console.log(`move held_writes=wait figures: ${JSON.stringify(figures)}`);
  if (w) await w.cleanup();
}, 300_000);

describe('move.held_writes: wait — writes wait in the proxy during the pause', () => {
  it('cutover: no failed request, no 503, every acknowledged write on hostB, nothing left paused', async () => {
    const { result, load } = await underLoad(async () => json(await cliOk(['move', 'prod', '--to', 'new', '--json'])));
    figures.cutover = { pauseMs: result.record.cutover?.pauseMs, longestWriteMs: load.longestWriteMs, load: loadSummary(load) };
    figures.cutoverSteps = result.steps.filter((s) => /hold writes|thawed|pause web|compare|last changes/.test(s.label)).map((s) => `${s.label} ${s.ms} ms`);
    expect(result.record.phase).toBe('cut-over');
    expect(failuresOf(load), loadSummary(load)).toBe(0);
    // Not one write was answered 503: those sent during the pause waited and got their 201.
    expect(load.held).toBe(0);
    expect(load.acked.length).toBeGreaterThan(20);
    expect(result.steps.map((s) => s.label)).toEqual(
      expect.arrayContaining([expect.stringMatching(/hold writes to 1 host\(s\) \(they wait at new\)/), expect.stringMatching(/web processes thawed/)]),
    );
    expect(result.record.cutover!.compare.filter((t) => !t.equal)).toEqual([]);
    expect(result.record.switch?.pausedWeb).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1000));
    const onB = idsOn('hostB');
    expect(load.acked.filter((id) => !onB.has(id))).toEqual([]);
    expect(new Set(load.acked).size).toBe(load.acked.length);
    expect(await pausedWeb('hostA')).toEqual([]);
    expect(await pausedWeb('hostB')).toEqual([]);
  }, 900_000);

  // Clients still reaching hostA (stale DNS) wait through the pause, reads included: hostA stops
  // forwarding to hostB just before it, and its own web processes are the frozen ones.
  it('rollback: the same the other way (hostA paused, hostB forwards its held writes there)', async () => {
    const { result, load } = await underLoad(async () => json(await cliOk(['move', 'prod', '--rollback', '--json'])));
    figures.rollback = { pauseMs: result.record.switch?.pauseMs, longestWriteMs: load.longestWriteMs, load: loadSummary(load) };
    expect(result.record.phase).toBe('rolled-back');
    expect(failuresOf(load), loadSummary(load)).toBe(0);
    expect(load.held).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    const onA = idsOn('hostA');
    expect(load.acked.filter((id) => !onA.has(id))).toEqual([]);
    expect(await pausedWeb('hostA')).toEqual([]);
    expect(await pausedWeb('hostB')).toEqual([]);
  }, 900_000);

  it('SIGKILL inside the pause: the target stays frozen with a write waiting; --resume answers it there', async () => {
    const killed = await slipway(['move', 'prod', '--to', 'new'], { cwd: w.p.dir, env: { ...w.env, SLIPWAY_TEST_KILL_AT: 'cutover:held' } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(await pausedWeb('hostB')).toHaveLength(1);
    // A write sent now waits (hostA's proxy holds it at hostB's frozen web process).
    const t0 = Date.now();
    const waiting = httpVia(IP.hostA, HTTP_PORT, HOST, 'POST', '/rows?p=waited-through-a-kill', undefined, 120_000);
    const early = await Promise.race([waiting.then(() => 'answered'), new Promise((r) => setTimeout(() => r('waiting'), 1500))]);
    expect(early).toBe('waiting');
    const resumed = json(await cliOk(['move', 'prod', '--resume', '--json']));
    const answer = await waiting;
    figures.waitedThroughKillMs = Date.now() - t0;
    expect(resumed.record.phase).toBe('cut-over');
    expect(answer.status, answer.body).toBe(201);
    const id = (JSON.parse(answer.body) as { id: number }).id;
    await new Promise((r) => setTimeout(r, 1000));
    expect(idsOn('hostB').has(id)).toBe(true);
    expect(await pausedWeb('hostA')).toEqual([]);
    expect(await pausedWeb('hostB')).toEqual([]);
  }, 900_000);
});
