// `slipway down` on a terminal, in process against FakeEngines: it shows the plan, asks, and does
// nothing unless the answer is yes; --help names its options.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliOn, deployWith, type FakeWorld } from '../../../test/support/fake-session.ts';
import { infraFleet, infraWorld } from '../../../test/support/infra-world.ts';
import { main } from '../main.ts';

/** Runs the CLI as on a terminal whose user answers `answer` (the questions asked are collected). */
async function onTerminal(w: FakeWorld, args: string[], answer: boolean) {
  const cwd = mkdtempSync(join(tmpdir(), 'slipway-down-'));
  writeFileSync(join(cwd, 'slipway.yaml'), infraFleet(['staging', 'prod']));
  let stdout = '';
  let stderr = '';
  const asked: string[] = [];
  const code = await main(args, {
    stdout: { write: (t) => void (stdout += t) },
    stderr: { write: (t) => void (stderr += t) },
    cwd,
    env: {},
    color: false,
    now: () => w.clock.t,
    connector: async (server) => ({
      server,
      engine: w.engines.get(server.name)!,
      dialer: { dial: async () => Promise.reject(new Error('no probes')) },
      close: async () => {},
    }),
    confirm: async (q) => {
      asked.push(q);
      return answer;
    },
  });
  return { code, stdout, stderr, asked };
}

async function deployed(): Promise<FakeWorld> {
  const w = await infraWorld();
  expect((await (await cliOn(w, infraFleet(['staging', 'prod'])))(['up'])).code).toBe(0);
  await deployWith(w, 'web', 'staging');
  return w;
}

describe('slipway down on a terminal', () => {
  it('shows the plan and asks; "no" changes nothing', async () => {
    const w = await deployed();
    const f = w.engine('s1');
    f.clearTranscript();
    const r = await onTerminal(w, ['down', 'staging'], false);
    expect(r.asked).toEqual(['Remove environment staging from s1?']);
    expect(r.stdout).toContain('  - delete  network      acme-staging  (no longer in the fleet)\n');
    expect(r.stdout).toContain('= keep    volume       acme-staging-web-media');
    expect(r.stderr).toContain('Nothing was done.');
    expect(r.code).toBe(1);
    expect(f.ops('removeContainer', 'removeNetwork', 'createContainer')).toEqual([]);
  });

  it('"yes" carries out the plan it showed', async () => {
    const w = await deployed();
    const r = await onTerminal(w, ['down', 'staging'], true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/s1: \d+ actions applied \(0 created, 2 updated, 0 replaced, \d+ deleted\)/);
    expect(r.stdout).toContain('~ update  redis-acl    service/redis  (apply ACL users web.prod (every key); remove web.staging)');
    expect(r.stdout).toContain('  = kept volume acme-staging-web-media: no longer in the fleet; holds data: kept, removed only with --destroy-data\n');
    expect([...w.engine('s1').networks.keys()].sort()).toEqual(['acme-prod', 'acme-prod-edge']);
  });

  it('--help names the options; no environment and no --all is a usage error', async () => {
    const w = await infraWorld();
    const help = await onTerminal(w, ['down', '--help'], false);
    expect(help.code).toBe(0);
    for (const o of ['--all', '--destroy-data', '--yes', '--lock-wait', '--json', '--file']) expect(help.stdout).toContain(o);
    const bad = await onTerminal(w, ['down'], true);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/name the environment to remove, or pass --all/);
    expect((await onTerminal(w, ['down', 'staging', '--all'], true)).code).toBe(2);
  });
});
