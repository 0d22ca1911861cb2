// serverStatus against a FakeEngine: every desired container matched to what runs by the key its
// labels give (apps, services and the proxy alike), with release, state and health.
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith } from '../../test/support/fake-session.ts';
import { infraFleet, infraWorld } from '../../test/support/infra-world.ts';
import { serverStatus } from './status.ts';

describe('serverStatus (FakeEngine)', () => {
  it('matches apps, services and the proxy by key; what does not run is "not deployed"', async () => {
    const w = await infraWorld();
    expect((await (await cliOn(w, infraFleet(['staging', 'prod'])))(['up'])).code).toBe(0);
    const r1 = await deployWith(w, 'web', 'prod');
    const rows = await serverStatus(w.run('s1'));
    const brief = rows.map((r) => `${r.env} ${r.app} ${r.process} ${r.container ?? '-'} ${r.release ?? '-'} ${r.state} ${r.health}`).sort();
    expect(brief).toEqual([
      '- postgres service acme-postgres - running running',
      '- proxy proxy acme-proxy - running running',
      '- redis service acme-redis - running running',
      `prod web web acme-web-prod-web-0-${r1.release} ${r1.release} running healthy`,
      `prod web worker acme-web-prod-worker-0-${r1.release} ${r1.release} running running`,
      'staging web web - - not deployed n/a',
      'staging web worker - - not deployed n/a',
    ]);
    const r2 = await deployWith(w, 'web', 'prod');
    // The release that runs, not the stopped one kept for rollback.
    expect((await serverStatus(w.run('s1'), 'prod')).map((r) => r.release)).toEqual([r2.release, r2.release]);
  });
});
