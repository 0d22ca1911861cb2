// The backup policy in the fleet file: defaults from `backups:`, what each environment changes,
// `backup: false`, and each mistake reported at its position with how to fix it.
import { describe, expect, it } from 'vitest';
import { cronProblem, nextRun } from './normalize-backup.ts';
import { loadFleet } from './load.ts';

const R1 = 'age1aqxqm5ynyem8eec0vfkhugpsp7d3dcpvqxqmegz7923sxmhatplqsv9twj';
const R2 = 'age1v84d6qyl3p83ue59k8eykjx9emcaz6fh57lrx98vnr93gkja3pfq2grkh4';

const load = (envs: { prod?: string; dev?: string }, top = '') =>
  loadFleet('/srv/acme/slipway.yaml', {
    text: `project: acme
servers:
  s1: { local: true }
environments:
  prod: { server: s1${envs.prod ? `, backup: ${envs.prod}` : ''} }
  dev: { server: s1${envs.dev ? `, backup: ${envs.dev}` : ''} }
${top}`,
  });

const S3 = `    off: { s3: { endpoint: "https://s3.example.com", bucket: acme-backups, access_key: { secret: ak }, secret_key: { secret: sk } } }`;

describe('backup policy', () => {
  it('no backups: section and no backup: key means no backups', () => {
    const r = load({});
    expect(r.diagnostics).toEqual([]);
    expect(r.fleet!.environments.map((e) => e.backup)).toEqual([null, null]);
  });

  it('backups: gives every environment the defaults: daily at 03:00, everything, every declared destination, 7 daily 4 weekly 6 monthly', () => {
    const r = load({ dev: 'false' }, `backups:\n  recipients: [${R1}]\n  destinations:\n${S3}\n`);
    expect(r.diagnostics).toEqual([]);
    const [prod, dev] = r.fleet!.environments;
    expect(dev!.backup).toBeNull();
    expect(prod!.backup).toEqual({
      schedule: '0 3 * * *',
      what: ['postgres', 'redis', 'volumes'],
      recipients: [R1],
      destinations: [
        {
          name: 'off',
          config: {
            kind: 's3',
            endpoint: 'https://s3.example.com',
            bucket: 'acme-backups',
            region: 'us-east-1',
            prefix: '',
            accessKeySecret: 'ak',
            secretKeySecret: 'sk',
            forcePathStyle: true,
          },
          retention: { last: 0, hourly: 0, daily: 7, weekly: 4, monthly: 6 },
        },
      ],
    });
  });

  it('seed 004 in a few lines: 7 days on the server, 30 on S3', () => {
    const r = load(
      { prod: '{ what: [postgres], to: { local: { daily: 7 }, off: { daily: 30 } } }' },
      `backups:\n  recipients: [${R1}]\n  destinations:\n${S3}\n`,
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.fleet!.environments[0]!.backup!.destinations.map((d) => [d.name, d.config.kind, d.retention.daily, d.retention.weekly])).toEqual([
      ['local', 'local', 7, 0],
      ['off', 's3', 30, 0],
    ]);
  });

  it('an environment may declare its own policy without a backups: section, and list destinations by name', () => {
    const r = load({ prod: `{ recipients: [${R2}], schedule: "0 * * * *", to: [local] }` });
    expect(r.diagnostics).toEqual([]);
    expect(r.fleet!.environments[0]!.backup).toMatchObject({
      schedule: '0 * * * *',
      recipients: [R2],
      destinations: [{ name: 'local', config: { kind: 'local' } }],
    });
    expect(r.fleet!.environments[1]!.backup).toBeNull();
  });

  it('sftp destinations: user, host, port and path', () => {
    const r = load({}, `backups:\n  recipients: [${R1}]\n  destinations:\n    nas: { sftp: { host: "backup@10.0.0.5:2222", path: /srv/backups/ } }\n`);
    expect(r.diagnostics).toEqual([]);
    expect(r.fleet!.environments[0]!.backup!.destinations[0]!.config).toEqual({
      kind: 'sftp',
      user: 'backup',
      host: '10.0.0.5',
      port: 2222,
      path: '/srv/backups',
    });
  });

  it.each([
    [
      'a bad cron schedule',
      { prod: '{ schedule: "0 25 * * *" }' },
      `backups: { recipients: [${R1}] }`,
      'bad-schedule',
      'environments/prod/backup/schedule',
      /not a cron schedule/,
    ],
    ['a four-field schedule', {}, `backups: { recipients: [${R1}], schedule: "0 3 * *" }`, 'bad-schedule', 'backups/schedule', /has 4 fields/],
    ['no recipient', { prod: '{ to: [local] }' }, '', 'missing-recipients', 'environments/prod/backup', /no age recipient/],
    ['a private key as recipient', {}, 'backups: { recipients: [AGE-SECRET-KEY-1QQQ] }', 'bad-recipient', 'backups/recipients/0', /not an age public key/],
    [
      'an unknown destination',
      { prod: '{ to: { offsite: { daily: 3 } } }' },
      `backups:\n  recipients: [${R1}]\n  destinations:\n${S3}\n`,
      'unknown-reference',
      'environments/prod/backup/to/offsite',
      /"offsite" is not declared/,
    ],
  ])('%s is a diagnostic at its position', (_n, envs, top, code, path, message) => {
    const r = load(envs, top);
    const d = r.diagnostics.find((x) => x.code === code)!;
    expect(d).toMatchObject({ severity: 'error', path });
    expect(d.message).toMatch(message);
    expect(d.hint).toBeTruthy();
    expect(d.pos?.line).toBeGreaterThan(0);
  });

  it('the schema refuses unknown keys and shapes with what it expects', () => {
    const r = load({ prod: '{ keep: 3 }' }, `backups: { recipients: [${R1}] }`);
    expect(r.diagnostics.map((d) => d.path)).toContain('environments/prod/backup/keep');
    const r2 = load({}, `backups:\n  recipients: [${R1}]\n  destinations:\n    x: { ftp: { host: a } }\n`);
    expect(r2.diagnostics.some((d) => /local: true.*sftp.*s3/.test(d.message))).toBe(true);
  });

  it('cron: next run and problems', () => {
    expect(nextRun('0 3 * * *', new Date('2025-01-01T04:00:00Z')).toISOString()).toBe('2025-01-02T03:00:00.000Z');
    expect(cronProblem('*/15 * * * *')).toBeUndefined();
    expect(cronProblem('@daily')).toBeUndefined();
    expect(cronProblem('61 * * * *')).toMatch(/not a cron schedule/);
  });
});
