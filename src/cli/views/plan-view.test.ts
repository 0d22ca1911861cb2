// Golden and unit tests for the Terraform-style plan view.
import { describe, expect, it } from 'vitest';
import { diff } from '../../plan/diff/diff.ts';
import { PROJECT, appContainer, desiredState, observedFrom, observedMatching, route } from '../../../test/fixtures/diff-fixtures.ts';
import { LABELS, emptyObserved } from '../../plan/diff/observed.ts';
import type { Plan } from '../../plan/diff/plan.ts';
import { Secret } from '../../util/secret.ts';
import { DEPLOY_HEADING, KEPT_HEADING, NO_CHANGES, formatValue, renderPlan } from './plan-view.ts';

/**
 * A plan with every kind of change: app replaces with fields and an update (left to deploy),
 * routes, a container delete, and a volume no longer in the fleet (kept, or with destroyData a
 * destructive delete).
 */
function mixedPlan(destroyData = false): Plan {
  const d = desiredState({
    routes: [route('aletheia.example.com', { basicAuth: [{ user: 'ops', secret: 'auth/ops' }] }), route('www.aletheia.example.com')],
  });
  d.servers[0]!.containers.push(appContainer('api', 0));
  const o = observedMatching(desiredState());
  const s = o.servers[0]!;
  const web = s.containers.find((c) => c.key === 'aletheia/prod/web/0')!;
  web.specHash = 'h-old';
  web.labels = { ...web.labels, [LABELS.env]: 'staging' };
  s.containers.find((c) => c.key === 'aletheia/prod/scheduler/0')!.specHash = 'h-old';
  s.containers.find((c) => c.key === 'aletheia/prod/worker/0')!.state = 'exited';
  s.containers.push(observedFrom(appContainer('old', 0)));
  s.volumes.push({ name: 'aletheia-qual-aletheia-media', labels: { [LABELS.project]: PROJECT } });
  return diff(d, o, { destroyData });
}

describe('renderPlan', () => {
  it('matches the golden plan', async () => {
    await expect(renderPlan(mixedPlan())).toMatchFileSnapshot('./__golden__/plan-view.txt');
  });

  it('matches the golden plan for a fresh install', async () => {
    await expect(renderPlan(diff(desiredState(), emptyObserved(PROJECT)))).toMatchFileSnapshot('./__golden__/plan-view-empty.txt');
  });

  it('says so when nothing changes', () => {
    const d = desiredState();
    expect(renderPlan(diff(d, observedMatching(d)))).toBe(`${NO_CHANGES}\n`);
  });

  it('prints lines with symbol, kind, type, id and reason, and a summary last', () => {
    const out = renderPlan(mixedPlan());
    // The type column is as wide as the widest type in the plan (here `proxy-config`).
    expect(out).toContain('  ~ update  route        aletheia.example.com  (route changed: auth)\n');
    expect(out).toContain('  - delete  container    aletheia/prod/old/0  (no longer in the fleet)\n');
    expect(out.trimEnd().split('\n').pop()).toBe(
      'Plan: 0 to create, 2 to update, 0 to replace, 1 to delete. 4 app container changes left to deploy. 1 kept (data).',
    );
  });

  it('shows app container changes under the deploy heading and data kept, per server', () => {
    const out = renderPlan(mixedPlan());
    const deploy = out.indexOf(`  ${DEPLOY_HEADING}\n`);
    const kept = out.indexOf(`  ${KEPT_HEADING}\n`);
    expect(deploy).toBeGreaterThan(out.indexOf('  - delete  container'));
    expect(kept).toBeGreaterThan(deploy);
    expect(out).toContain('    + create  container    aletheia/prod/api/0  (container does not exist)\n');
    expect(out).toContain('    ~ update  container    aletheia/prod/worker/0  (start: container is exited)\n');
    expect(out).toMatch(/\n {4}± replace container {4}aletheia\/prod\/web\/0 {2}\(spec changed: labels\.slipway\.env;/);
    expect(out).toContain('        labels.slipway.env: "staging" → "prod"\n');
    expect(out).toMatch(
      /\n {4}= keep {4}volume {7}aletheia-qual-aletheia-media {2}\(no longer in the fleet; holds data: kept, removed only with --destroy-data\)\n/,
    );
    expect(out).not.toContain('[destructive]');
  });

  it('with destroyData, the volume is a destructive delete and a warning says so', () => {
    const out = renderPlan(mixedPlan(true));
    expect(out).toMatch(/\n {2}- delete {2}volume {7}aletheia-qual-aletheia-media {2}\(.*data loss.*\) {2}\[destructive\]\n/);
    expect(out).toContain('Warning: 1 destructive action (marked [destructive]) can lose data.\n');
    expect(out).not.toContain(KEPT_HEADING);
  });

  it('only app changes or kept data: no changes to the infrastructure, and what is left', () => {
    const d = desiredState();
    const o = observedMatching(d);
    o.servers[0]!.containers = o.servers[0]!.containers.filter((c) => c.key !== 'aletheia/prod/web/1');
    const out = renderPlan(diff(d, o));
    expect(out.startsWith(`${NO_CHANGES}\n\nServer prod-1:\n  ${DEPLOY_HEADING}\n    + create  container aletheia/prod/web/1`)).toBe(true);
  });

  it('never prints secrets', () => {
    const plan: Plan = {
      project: 'p',
      actions: [
        {
          kind: 'update',
          type: 'container',
          server: 's',
          id: 'a/prod/web/0',
          reason: 'env changed',
          changes: {
            'env.API_KEY': [new Secret('old-value-123'), new Secret('new-value-456')],
            'env.DATABASE_URL': [
              { kind: 'secret', name: 'pg/url' },
              { kind: 'plain', value: 'postgres://x' },
            ],
            auth: [null, [{ user: 'ops', secret: 'auth/ops' }]],
          },
        },
        { kind: 'run-once', type: 'container', server: 's', id: 'a/prod/migrate/0', reason: 'release command' },
      ],
      summary: { create: 0, update: 1, replace: 0, delete: 0, 'run-once': 1 },
      deploy: [],
      kept: [],
    };
    const out = renderPlan(plan);
    expect(out).not.toContain('old-value-123');
    expect(out).not.toContain('new-value-456');
    expect(out).not.toContain('pg/url');
    expect(out).toContain('      env.API_KEY: (sensitive) → (sensitive)\n');
    expect(out).toContain('      env.DATABASE_URL: (sensitive) → {"kind":"plain","value":"postgres://x"}\n');
    expect(out).toContain('      auth: null → [{"user":"ops","secret":(sensitive)}]\n');
    expect(out).toContain('  > run-once container a/prod/migrate/0  (release command)\n');
    expect(out).toContain('Plan: 0 to create, 1 to update, 0 to replace, 0 to delete, 1 to run once.\n');
  });

  it('colors only on request', () => {
    const plan = mixedPlan(true);
    expect(renderPlan(plan)).not.toContain('\u001b[');
    expect(renderPlan(plan, { color: false })).not.toContain('\u001b[');
    const colored = renderPlan(plan, { color: true });
    expect(colored).toContain('\u001b[32m+ create  \u001b[0m');
    expect(colored).toContain('\u001b[1;31m[destructive]\u001b[0m');
    expect(colored.replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderPlan(plan));
  });

  it.each([
    [undefined, '(none)'],
    [null, 'null'],
    [3, '3'],
    ['a', '"a"'],
    [new Secret('x'), '(sensitive)'],
    [{ kind: 'secret', name: 'n' }, '(sensitive)'],
    [{ password: 'x', user: 'u' }, '{"password":(sensitive),"user":"u"}'],
  ])('formatValue(%o) = %s', (v, s) => {
    expect(formatValue(v)).toBe(s);
  });
});
