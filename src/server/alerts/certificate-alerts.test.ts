// The metrics part's alert loop on certificates, over FakeEngines (the real sampler, the fleet
// runtime with an injected connector, the real `slipway certs` reading of the server's state) with
// a fake clock; s2 cannot be reached all along: a certificate of s1 expiring in 10 days fires
// certificate-expiry once; renewed to 80 days, it resolves once the certificates are read again
// (they are kept 5 minutes, so a round a minute after the renewal still sees the old one).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeWorld } from '../../../test/support/fake-session.ts';
import { Secret } from '../../util/secret.ts';
import { writeCert } from '../../workflows/tls/cert-store.ts';
import { createMetricsPart } from '../parts/metrics-part.ts';
import type { ServePartInput } from '../serve-part.ts';
import { FileStore } from '../store/file-store.ts';

const DAY = 86_400_000;
const MIN = 60_000;
let dir: string | undefined;

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the metrics part: certificate alerts', () => {
  it('fires certificate-expiry once for a certificate expiring in 10 days, and resolves it once renewed to 80 days', async () => {
    const w = await fakeWorld();
    dir = await mkdtemp(join(tmpdir(), 'slipway-cert-alerts-'));
    const logged: string[] = [];
    const certify = (daysLeft: number) =>
      writeCert(
        w.run('s1').store,
        {
          host: 'web.example.com',
          source: 'acme',
          domains: ['web.example.com'],
          issuer: 'Test CA',
          serial: String(daysLeft),
          notBefore: new Date(w.clock.t - DAY).toISOString(),
          notAfter: new Date(w.clock.t + daysLeft * DAY).toISOString(),
          obtainedAt: new Date(w.clock.t).toISOString(),
          fullchain: '',
        },
        new Secret('not a key', 'tls key'),
      );
    const input: ServePartInput = {
      data: dir,
      file: join(dir, 'slipway.yaml'),
      loadFleet: async () => w.fleet,
      ops: {} as ServePartInput['ops'],
      store: new FileStore(dir),
      now: () => w.clock.t,
      env: {},
      cwd: dir,
      log: { write: (text) => void logged.push(text) },
      url: () => undefined,
      dev: true,
      secret: async () => undefined,
      connector: async (server) => {
        if (server.name === 's2') throw new Error('cannot connect to s2: ECONNREFUSED');
        return { ...w.session.connections.find((c) => c.server.name === server.name)!, close: async () => {} };
      },
    };
    const part = createMetricsPart(input, { intervalMs: 30_000 });
    const alerts = () => logged.filter((l) => l.includes('certificate'));

    await certify(10);
    await part.round();
    expect(alerts()).toEqual(['alerts: FIRING: the certificate of web.example.com on s1 expires within 14 d\n']);
    w.clock.t += MIN;
    await part.round();
    expect(alerts()).toHaveLength(1);

    await certify(80);
    w.clock.t += MIN;
    await part.round();
    expect(alerts()).toHaveLength(1);
    w.clock.t += 5 * MIN;
    await part.round();
    expect(alerts()).toEqual([
      'alerts: FIRING: the certificate of web.example.com on s1 expires within 14 d\n',
      'alerts: RESOLVED: the certificate of web.example.com on s1 expires within 14 d (after 7 min)\n',
    ]);
    w.clock.t += 5 * MIN;
    await part.round();
    expect(alerts()).toHaveLength(2);
  });
});
