// The fleet's scheduled jobs, from a fleet file: a backup (on the environment's own schedule) and
// a restore drill per environment with backups, a certificate renewal per server with ACME hosts.
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../config/load.ts';
import { jobsFromFleet } from './jobs.ts';

const R1 = 'age1aqxqm5ynyem8eec0vfkhugpsp7d3dcpvqxqmegz7923sxmhatplqsv9twj';
const fleet = () => {
  const r = loadFleet('/srv/acme/slipway.yaml', {
    text: `project: acme
servers:
  s1: { local: true }
  s2: { ssh: "deploy@10.0.0.2" }
environments:
  prod: { server: s1, protected: true, domain: "{app}.example.com", backup: { schedule: "15 * * * *" } }
  staging: { server: s1, domain: "{app}-staging.example.com", tls: off }
  dev: { server: s2, domain: "{app}.dev.example.com", backup: false }
backups:
  recipients: [${R1}]
`,
  });
  expect(r.diagnostics).toEqual([]);
  return r.fleet!;
};

describe('jobsFromFleet', () => {
  it('backups and drills per environment with backups, renewals per server with ACME hosts', () => {
    expect(jobsFromFleet(fleet())).toEqual([
      { id: 'backup:prod', cron: '15 * * * *', work: { kind: 'backup', env: 'prod' } },
      { id: 'backup-verify:prod', cron: '0 5 * * 0', work: { kind: 'backup-verify', env: 'prod' } },
      { id: 'backup:staging', cron: '0 3 * * *', work: { kind: 'backup', env: 'staging' } },
      { id: 'backup-verify:staging', cron: '0 5 * * 0', work: { kind: 'backup-verify', env: 'staging' } },
      { id: 'cert-renewal:s1', cron: '0 4 * * *', work: { kind: 'cert-renewal', server: 's1' } },
      { id: 'cert-renewal:s2', cron: '0 4 * * *', work: { kind: 'cert-renewal', server: 's2' } },
    ]);
  });

  it('takes other default schedules', () => {
    const jobs = jobsFromFleet(fleet(), { verify: '30 6 * * *', certRenewal: '@daily' });
    expect(jobs.find((j) => j.id === 'backup-verify:prod')?.cron).toBe('30 6 * * *');
    expect(jobs.find((j) => j.id === 'cert-renewal:s2')?.cron).toBe('@daily');
  });
});
