// interpolate: references resolve per env; unknown ones are reported once per env var and ref.
import { describe, expect, it } from 'vitest';
import { findInterpolationProblems, interpolate, references } from './interpolate.ts';
import { testFleet } from '../../test/fixtures/test-fleet.ts';

const fleet = testFleet({
  project: 'gs',
  envs: [{ name: 'prod' }, { name: 'staging' }],
  apps: [
    { name: 'aletheia', processes: { web: { port: 8000 }, celery: {} } },
    { name: 'helios', processes: { web: { port: 3000 } } },
    { name: 'tool', environments: ['staging'], processes: { cli: {} } },
  ],
});

describe('interpolate', () => {
  it.each([
    ['http://${aletheia.web}:8000', 'http://aletheia-prod-web:8000'],
    ['${helios.web}/${aletheia.celery}', 'helios-prod-web/aletheia-prod-celery'],
    ['${project}-${env}-${app}', 'gs-prod-helios'],
    ['${ env }', 'prod'],
    ['$${env} stays', '${env} stays'],
    ['${nope.web} and ${tool.cli}', '${nope.web} and ${tool.cli}'],
    ['no refs, $HOME, ${', 'no refs, $HOME, ${'],
  ])('%s -> %s (prod, helios)', (input, out) => {
    expect(interpolate(input, { fleet, env: 'prod', app: 'helios' })).toBe(out);
  });

  it('resolves per env', () => {
    expect(interpolate('${tool.cli}', { fleet, env: 'staging', app: 'helios' })).toBe('tool-staging-cli');
  });

  it('lists references, skipping escapes', () => {
    expect(references('${a.b} $${c} ${ d }')).toEqual(['a.b', 'd']);
  });
});

describe('findInterpolationProblems', () => {
  it('reports nothing for a valid fleet', () => {
    const ok = testFleet({ apps: [{ name: 'a', env: { X: '${a.web}', Y: '${env}', Z: { secret: '${not.checked}' } } }] });
    expect(findInterpolationProblems(ok)).toEqual([]);
  });

  it('reports unknown apps, processes, words, and refs valid in only some envs', () => {
    const f = testFleet({
      envs: [{ name: 'prod' }, { name: 'staging' }],
      apps: [
        { name: 'api', env: { A: 'http://${wrker.web}', B: '${api.worker}', C: '${tool.cli}', D: '${region}' } },
        { name: 'tool', environments: ['staging'], processes: { cli: { env: { E: '${api.nope}' } } } },
      ],
    });
    const diags = findInterpolationProblems(f);
    expect(diags.map((d) => [d.code, d.severity, d.path, d.message])).toEqual([
      ['unknown-reference', 'error', 'apps/api/env/A', 'unknown reference ${wrker.web} in A'],
      ['unknown-reference', 'error', 'apps/api/env/B', 'unknown reference ${api.worker} in B'],
      ['unknown-reference', 'error', 'apps/api/env/C', 'unknown reference ${tool.cli} in C in environment prod'],
      ['unknown-reference', 'error', 'apps/api/env/D', 'unknown reference ${region} in D'],
      ['unknown-reference', 'error', 'apps/tool/processes/cli/env/E', 'unknown reference ${api.nope} in E'],
    ]);
    expect(diags[0]!.hint).toBe('valid references: ${env}, ${project}, ${app}, ${api.web}');
    expect(diags[4]!.hint).toBe('valid references: ${env}, ${project}, ${app}, ${api.web}, ${tool.cli}');
  });
});
