// The fleet file's `control_plane:` section: defaults when absent, every setting read (durations
// to ms, secrets by name, strings or lists), and bad values reported where they are, with a hint.
import { describe, expect, it } from 'vitest';
import { defaultControlPlane } from './control-plane.ts';
import { loadFleet } from './load.ts';

const fleet = (section: string) => `project: acme
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com", deploy: { branch: develop } }
  prod: { server: s1, domain: "{app}.example.com", deploy: { tags: "v*" }, protected: true }
apps:
  web:
    image: acme/web:v1
    processes:
      web: { port: 80, health: /, memory: 64MiB }
${section}`;

const problems = (text: string) => loadFleet('/x/slipway.yaml', { text }).diagnostics.filter((d) => d.severity === 'error');

describe('control_plane settings', () => {
  it('defaults: weekly drills, daily renewals, no webhooks, default alert rules, nowhere to notify', () => {
    const r = loadFleet('/x/slipway.yaml', { text: fleet('') });
    expect(r.fleet?.controlPlane).toEqual(defaultControlPlane());
    expect(r.fleet?.controlPlane.schedules).toEqual({ verify: '0 5 * * 0', certRenewal: '0 4 * * *' });
  });

  it('reads every setting', () => {
    const r = loadFleet('/x/slipway.yaml', {
      text: fleet(`control_plane:
  domain: Deploy.Example.com
  server: s1
  env: prod
  metrics_token: { secret: METRICS_TOKEN }
  schedules: { verify: "0 6 * * 1", cert_renewal: "30 3 * * *" }
  webhooks:
    secret: { secret: WEBHOOK_SECRET }
    repositories:
      web: { url: "ssh://git@git.example.com/acme/web.git", deploy_key: { secret: WEB_DEPLOY_KEY } }
    triggers:
      staging: { branches: develop }
      prod: { tags: "v*" }
  alerts:
    server_memory: { above_percent: 75, for: 10m }
    server_disk: false
    container_memory: { for: 30s }
    backup_stale: { rpo: { prod: 1h }, default_rpo: 1d }
    drill_failed: false
    certificate_expiry: { within: 7d }
  notify:
    webhooks:
      slack: { url: { secret: SLACK_URL } }
    email: { host: smtp.example.com, from: slipway@example.com, to: ops@example.com, user: slipway, password: { secret: SMTP_PASSWORD } }
`),
    });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.fleet?.controlPlane).toEqual({
      domain: 'deploy.example.com',
      install: { server: 's1', env: 'prod' },
      metricsTokenSecret: 'METRICS_TOKEN',
      schedules: { verify: '0 6 * * 1', certRenewal: '30 3 * * *' },
      webhooks: {
        secretName: 'WEBHOOK_SECRET',
        repositories: { web: { url: 'ssh://git@git.example.com/acme/web.git', deployKeySecret: 'WEB_DEPLOY_KEY' } },
        triggers: [
          { env: 'staging', branches: ['develop'] },
          { env: 'prod', tags: 'v*' },
        ],
      },
      alerts: {
        serverMemory: { abovePercent: 75, forMs: 600_000 },
        serverDisk: { enabled: false },
        containerMemory: { forMs: 30_000 },
        backupStale: { rpoMs: { prod: 3_600_000 }, defaultRpoMs: 86_400_000 },
        drillFailed: { enabled: false },
        certificateExpiry: { withinMs: 7 * 86_400_000 },
      },
      notify: {
        webhooks: [{ name: 'slack', urlSecret: 'SLACK_URL' }],
        email: { host: 'smtp.example.com', port: 587, from: 'slipway@example.com', to: ['ops@example.com'], user: 'slipway', passwordSecret: 'SMTP_PASSWORD' },
      },
    });
  });

  it('reports bad values where they are, with a hint', () => {
    const cases: [string, string, RegExp][] = [
      ['control_plane: { schedules: { verify: "every sunday" } }', 'control_plane/schedules/verify', /cron/],
      ['control_plane: { alerts: { server_memory: { for: soon } } }', 'control_plane/alerts/server_memory/for', /invalid duration "soon"/],
      ['control_plane: { alerts: { server_memory: { above_percent: 180 } } }', 'control_plane/alerts/server_memory/above_percent', /1 to 100/],
      ['control_plane: { webhooks: { triggers: { qa: { branches: main } } } }', 'control_plane/webhooks/triggers/qa', /unknown environment "qa"/],
      ['control_plane: { webhooks: { repositories: { api: { url: /srv/api.git } } } }', 'control_plane/webhooks/repositories/api', /unknown app "api"/],
      ['control_plane: { domain: "not a domain" }', 'control_plane/domain', /not a domain name/],
      ['control_plane: { server: s1, env: prod }', 'control_plane', /server, env and domain go together/],
      ['control_plane: { server: s9, env: prod, domain: deploy.example.com }', 'control_plane/server', /unknown server "s9"/],
      ['control_plane: { webhooks: { secret: hunter2 } }', 'control_plane/webhooks/secret', /./],
      ['control_plane: { alerts: { cpu: { above_percent: 90 } } }', 'control_plane/alerts/cpu', /cpu/],
    ];
    for (const [section, path, message] of cases) {
      const ds = problems(fleet(section));
      expect(ds.length, section).toBeGreaterThan(0);
      expect(ds[0]?.path, section).toBe(path);
      expect(`${ds[0]?.message} ${ds[0]?.hint ?? ''}`, section).toMatch(message);
      expect(JSON.stringify(ds), section).not.toContain('hunter2');
    }
  });
});
