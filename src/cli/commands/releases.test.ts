// `slipway releases` and `slipway audit` in process, against FakeEngines after real deploys: the
// tables and JSON a user sees are pinned here (the work is in the releases-list and audit-log
// workflows).
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith, fakeWorld } from '../../../test/support/fake-session.ts';
import { operator } from '../../workflows/audit.ts';

describe('slipway releases', () => {
  it('never deployed: says how to deploy; JSON is the empty history', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    expect(await cli(['releases', 'web', 'prod'])).toMatchObject({
      code: 0,
      stdout: 'web has never been deployed to prod. Deploy it with: slipway deploy web prod\n',
    });
    expect(JSON.parse((await cli(['releases', 'web', 'prod', '--json'])).stdout)).toEqual({ app: 'web', env: 'prod', current: null, releases: [] });
  });

  it('after two deploys: a table, newest first; JSON is the history', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    const r1 = await deployWith(w, 'web', 'prod');
    const r2 = await deployWith(w, 'web', 'prod');
    const r = await cli(['releases', 'web', 'prod']);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^RELEASE +STATUS +REF +GIT SHA +DEPLOYED +BY +NOTE$/);
    expect(rows.map((row) => row.split(/ {2,}/))).toEqual([
      [r2.release, 'live', 'acme/web:v1', expect.stringMatching(/^2025-01-01T00:02:/), operator()],
      [r1.release, 'previous', 'acme/web:v1', expect.stringMatching(/^2025-01-01T00:01:/), operator()],
    ]);
    // Columns line up.
    expect(new Set([head, ...rows].map((l) => l!.indexOf(l === head ? 'DEPLOYED' : '2025-'))).size).toBe(1);
    const j = JSON.parse((await cli(['releases', 'web', 'prod', '--json'])).stdout);
    expect(j).toMatchObject({ app: 'web', env: 'prod', current: r2.release, releases: [{ release: r2.release, status: 'live' }, { release: r1.release }] });
  });
});

describe('slipway audit', () => {
  it('entries of the servers of ENV (or all), oldest first, last N; JSON with the server', async () => {
    const w = await fakeWorld();
    const cli = await cliOn(w);
    const r1 = await deployWith(w, 'web', 'prod');
    await deployWith(w, 'web', 'qual');
    const all = JSON.parse((await cli(['audit', '--json'])).stdout) as { server: string; action: string; env: string; outcome: string }[];
    expect(all.filter((e) => e.outcome !== 'started').map((e) => [e.server, e.action, e.env, e.outcome])).toEqual([
      ['s1', 'deploy', 'prod', 'ok'],
      ['s2', 'deploy', 'qual', 'ok'],
    ]);
    const prod = await cli(['audit', 'prod', '-n', '1']);
    expect(prod.code).toBe(0);
    const [head, row, end] = prod.stdout.split('\n');
    expect(head).toMatch(/^AT +SERVER +BY +ACTION +ENV +APP +RELEASE +OUTCOME +DETAIL$/);
    expect(row!.split(/ {2,}/)).toEqual([expect.stringMatching(/^2025-01-01T00:01:/), 's1', operator(), 'deploy', 'prod', 'web', r1.release, 'ok']);
    expect(end).toBe('');
    expect(JSON.parse((await cli(['audit', 'qual', '--json'])).stdout).every((e: { server: string }) => e.server === 's2')).toBe(true);
  });
});
