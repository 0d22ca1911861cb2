// Golden tests for every example fleet: its plan (against an empty server), every rendered file
// (compose per env, nginx, Caddy, SQL per server) and its `check` findings. Goldens live next to
// each example under generated/, so readers see exactly what Slipway produces.
// Update them with: npx vitest run test/examples.test.ts -u
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../src/config/load.ts';
import { desire } from '../src/plan/desire/desire.ts';
import { diff } from '../src/plan/diff/diff.ts';
import { emptyObserved } from '../src/plan/diff/observed.ts';
import { check } from '../src/plan/check/check.ts';
import { renderPlan } from '../src/cli/views/plan-view.ts';
import { renderFindings } from '../src/cli/views/findings-view.ts';
import { renderAll } from '../src/render/all.ts';

const ROOT = join(import.meta.dirname, '..', 'examples');
const EXAMPLES = ['two-apps-three-envs', 'prod-devstg-split', 'qual-prod-compose', 'single-vps-paas', 'reference'];

describe.each(EXAMPLES)('example %s', (name) => {
  const dir = join(ROOT, name);
  const file = join(dir, 'slipway.yaml');

  it(name === 'reference' ? 'loads with zero diagnostics' : 'loads with no errors or warnings from the fleet file', () => {
    expect(existsSync(file), `${file} must exist`).toBe(true);
    const res = loadFleet(file);
    // The reference documents every key and must be spotless; the compose example also carries
    // the import's notes about its compose file (info and warnings located in that file).
    const own = name === 'reference' ? res.diagnostics : res.diagnostics.filter((d) => d.pos?.file === file || d.severity === 'error');
    expect(own).toEqual([]);
    expect(res.fleet).toBeDefined();
  });

  it('plan against an empty server matches its golden', async () => {
    const fleet = loadFleet(file).fleet!;
    const plan = diff(desire(fleet), emptyObserved(fleet.project));
    expect(plan.actions.length).toBeGreaterThan(0);
    // On an empty server everything is created; the only other action is each proxy's reload.
    expect(new Set(plan.actions.filter((a) => a.kind !== 'create').map((a) => `${a.kind} ${a.type}`))).toEqual(new Set(['update proxy-config']));
    await expect(renderPlan(plan)).toMatchFileSnapshot(join(dir, 'generated', 'plan.txt'));
  });

  it('renders match their goldens and never contain secret values', async () => {
    const fleet = loadFleet(file).fleet!;
    const files = renderAll(fleet, desire(fleet), ['compose', 'nginx', 'caddy', 'sql']);
    expect(files.map((f) => f.kind)).toEqual(expect.arrayContaining(['compose', 'nginx', 'caddy']));
    for (const f of files) await expect(f.content).toMatchFileSnapshot(join(dir, 'generated', f.path));
  });

  it('backup policy per environment matches its golden', async () => {
    const fleet = loadFleet(file).fleet!;
    const policies = Object.fromEntries(fleet.environments.map((e) => [e.name, e.backup ?? null]));
    await expect(`${JSON.stringify(policies, null, 2)}\n`).toMatchFileSnapshot(join(dir, 'generated', 'backup-policy.json'));
  });

  it('check findings match their golden', async () => {
    const fleet = loadFleet(file).fleet!;
    const findings = check(fleet, desire(fleet));
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    await expect(renderFindings(findings)).toMatchFileSnapshot(join(dir, 'generated', 'check.txt'));
  });
});

describe('broken prod-devstg-split', () => {
  it('check reports each seeded problem', () => {
    const res = loadFleet(join(ROOT, 'prod-devstg-split', 'broken', 'slipway.yaml'));
    const fleet = res.fleet!;
    const findings = check(fleet, desire(fleet));
    const codes = findings.map((f) => `${f.severity} ${f.code}`);
    expect(codes).toContain('error memory-over-budget');
    expect(codes).toContain('warning shared-instance-protected');
    expect(codes).toContain('error cross-env-reference');
    expect(codes).toContain('error duplicate-domain');
    const mem = findings.find((f) => f.code === 'memory-over-budget')!;
    expect(mem.server).toBe('vps1');
    expect(mem.message).toMatch(/celery-heavy/);
    const cross = findings.find((f) => f.code === 'cross-env-reference')!;
    expect(cross.env).toBe('staging');
    expect(cross.message).toMatch(/aletheia-prod-web/);
    expect(findings.find((f) => f.code === 'duplicate-domain')!.message).toMatch(/aletheia\.example\.com/);
  });

  it('the unbroken fleet has none of them', () => {
    const fleet = loadFleet(join(ROOT, 'prod-devstg-split', 'slipway.yaml')).fleet!;
    const codes = check(fleet, desire(fleet)).map((f) => f.code);
    for (const c of ['memory-over-budget', 'shared-instance-protected', 'cross-env-reference', 'duplicate-domain']) expect(codes).not.toContain(c);
  });
});

it('every example directory is covered', () => {
  const dirs = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, d.name, 'slipway.yaml')))
    .map((d) => d.name);
  expect(dirs.sort()).toEqual([...EXAMPLES].sort());
});

describe("the seeds' backup policies, as their examples say them", () => {
  const policy = (example: string) =>
    Object.fromEntries(
      loadFleet(join(ROOT, example, 'slipway.yaml')).fleet!.environments.map((e) => [
        e.name,
        e.backup ? { what: e.backup.what, to: Object.fromEntries(e.backup.destinations.map((d) => [d.name, [d.config.kind, d.retention]])) } : null,
      ]),
    );
  const gfs = (r: { daily?: number; weekly?: number; monthly?: number }) => ({ last: 0, hourly: 0, daily: 0, weekly: 0, monthly: 0, ...r });

  it('seed 000 (prod-devstg-split): prod backs up the database and the media with full retention; staging 3 days daily, no weekly; dev none', () => {
    expect(policy('prod-devstg-split')).toEqual({
      prod: { what: ['postgres', 'volumes'], to: { local: ['local', gfs({ daily: 7, weekly: 4, monthly: 12 })] } },
      staging: { what: ['postgres'], to: { local: ['local', gfs({ daily: 3 })] } },
      dev: null,
    });
  });

  it('seed 004 (single-vps-paas): the database, 7 days on the server and 30 days on S3', () => {
    expect(policy('single-vps-paas')).toEqual({
      prod: { what: ['postgres'], to: { local: ['local', gfs({ daily: 7 })], 'swiss-backup': ['s3', gfs({ daily: 30 })] } },
    });
  });
});
