// depends_on conditions are read and reach the processes: `service_healthy` and
// `service_completed_successfully` are kept by process name, `service_started` is the default,
// an unknown condition is an error at its position.
import { describe, expect, it } from 'vitest';
import { composeToProcesses } from './processes.ts';
import { readCompose } from './read.ts';

const FILE = '/app/docker-compose.yml';

function read(text: string) {
  return readCompose(FILE, text, { readFile: () => undefined });
}

const STACK = [
  'services:',
  '  web:',
  '    build: .',
  '    depends_on:',
  '      db: { condition: service_healthy }',
  '      db_migrate: { condition: service_completed_successfully }',
  '      cache: { condition: service_started, restart: true }',
  '  db_migrate:',
  '    build: .',
  '    command: ["node", "migrate.js"]',
  '    depends_on: [db]',
  '  db:',
  '    image: postgres:15',
  '  cache:',
  '    image: redis:7',
  '',
].join('\n');

describe('depends_on conditions', () => {
  it('are read per service; service_started is the default', () => {
    const r = read(STACK);
    const web = r.compose!.services.find((s) => s.name === 'web')!;
    expect(web.dependsOn).toEqual(['db', 'db_migrate', 'cache']);
    expect(web.dependsOnCondition).toEqual({ db: 'service_healthy', db_migrate: 'service_completed_successfully' });
    expect(r.compose!.services.find((s) => s.name === 'db_migrate')!.dependsOnCondition).toBeUndefined();
    const info = r.diagnostics.filter((d) => d.code === 'depends-on-completed');
    expect(info.map((d) => `${d.severity} ${d.path} @${d.pos?.line}`)).toEqual(['info services/web/depends_on/db_migrate/condition @6']);
    expect(info[0]!.message).toContain('"db_migrate" is a one-off task');
  });

  it('reach the processes by process name', () => {
    const r = read(STACK);
    const { processes } = composeToProcesses(r.compose!, {
      project: 'acme',
      app: 'shop',
      env: 'prod',
      fleetDir: '/app',
      readSource: () => ({ type: 'missing' }),
    });
    const web = processes.find((p) => p.name === 'web')!;
    expect(web.dependsOn).toEqual(['db', 'db-migrate', 'cache']);
    expect(web.dependsOnCondition).toEqual({ db: 'service_healthy', 'db-migrate': 'service_completed_successfully' });
  });

  it('an unknown condition is an error at its position', () => {
    const r = read('services:\n  a:\n    image: a:1\n    depends_on:\n      b: { condition: service_ready }\n  b:\n    image: b:1\n');
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    expect(`${d.code} ${d.path} @${d.pos?.line}:${d.pos?.col}`).toBe('bad-value services/a/depends_on/b/condition @5:23');
    expect(d.hint).toContain('service_completed_successfully');
  });
});
