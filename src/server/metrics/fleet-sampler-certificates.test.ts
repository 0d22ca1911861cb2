// The fleet sampler's certificates over FakeEngines (the real fleet runtime with an injected
// connector, the real `slipway certs` reading of the server's state): each certificate with its
// server, domain and expiry, while an unreachable server costs only its own; read again only once
// the cache's time passed (the injected clock); exposed in /metrics as
// slipway_certificate_expiry_seconds{server,domain}.
import { describe, expect, it } from 'vitest';
import { fakeWorld } from '../../../test/support/fake-session.ts';
import { Secret } from '../../util/secret.ts';
import type { ServerRun } from '../../workflows/server-run.ts';
import { listCertificates } from '../../workflows/tls/cert-list.ts';
import { writeCert } from '../../workflows/tls/cert-store.ts';
import { createMetrics } from './create-metrics.ts';
import { createFleetSampler } from './fleet-sampler.ts';

const DAY = 86_400_000;
const MIN = 60_000;

async function world() {
  const w = await fakeWorld();
  const reads: string[] = [];
  const broken = { certs: false };
  const sampler = createFleetSampler({
    loadFleet: async () => w.fleet,
    io: {
      stderr: { write: () => undefined },
      now: () => w.clock.t,
      env: {},
      cwd: '/tmp',
      connector: async (server) => {
        if (server.name === 's2') throw new Error('cannot connect to s2: ECONNREFUSED');
        return { ...w.session.connections.find((c) => c.server.name === server.name)!, close: async () => {} };
      },
    },
    readCertificates: async (run: ServerRun) => {
      if (broken.certs) throw new Error('state store unreadable');
      reads.push(run.conn.server.name);
      return listCertificates(run);
    },
  });
  const certify = (host: string, daysLeft: number) =>
    writeCert(
      w.run('s1').store,
      {
        host,
        source: 'acme',
        domains: [host],
        issuer: 'Test CA',
        serial: '01',
        notBefore: new Date(w.clock.t - DAY).toISOString(),
        notAfter: new Date(w.clock.t + daysLeft * DAY).toISOString(),
        obtainedAt: new Date(w.clock.t - DAY).toISOString(),
        fullchain: '',
      },
      new Secret('not a key', 'tls key'),
    );
  return { w, sampler, reads, certify, broken };
}

describe('the fleet sampler: certificates', () => {
  it('reads each reachable server’s certificates with domain, server and expiry; an unreachable server costs only its own', async () => {
    const { w, sampler, certify } = await world();
    await certify('web.example.com', 10);
    const s = await sampler.sample();
    expect(s.certificates).toEqual([{ server: 's1', domain: 'web.example.com', notAfter: w.clock.t + 10 * DAY }]);
    expect(s.unreachable.servers).toEqual(['s2']);
    expect(s.unread?.certificates).toEqual([]);

    const text = await createMetrics({ source: sampler, now: () => w.clock.t }).registry.metrics();
    expect(text).toContain(`slipway_certificate_expiry_seconds{server="s1",domain="web.example.com"} ${(w.clock.t + 10 * DAY) / 1000}`);
    expect(text).toContain('slipway_metrics_source_up{part="certificates"} 1');
  });

  it('reads a server’s certificates at most once per 5 minutes', async () => {
    const { w, sampler, reads, certify } = await world();
    await certify('web.example.com', 10);
    expect((await sampler.sample()).certificates?.map((c) => c.notAfter)).toEqual([w.clock.t + 10 * DAY]);
    const renewedAt = w.clock.t;
    await certify('web.example.com', 80);
    w.clock.t += MIN;
    // A new sample (older than its 2 s), but the certificates are still the ones read a minute ago.
    expect((await sampler.sample()).certificates?.map((c) => c.notAfter)).toEqual([renewedAt + 10 * DAY]);
    expect(reads).toEqual(['s1']);
    w.clock.t += 5 * MIN;
    expect((await sampler.sample()).certificates?.map((c) => c.notAfter)).toEqual([renewedAt + 80 * DAY]);
    expect(reads).toEqual(['s1', 's1']);
  });

  it('names a server whose certificates could not be read (its error on the server), and tries again on the next sample', async () => {
    const { w, sampler, reads, certify, broken } = await world();
    await certify('web.example.com', 10);
    broken.certs = true;
    const s = await sampler.sample();
    expect(s.certificates).toEqual([]);
    expect(s.unread?.certificates).toEqual(['s1']);
    expect(s.servers.find((x) => x.name === 's1')?.error).toContain('certificates: state store unreadable');
    broken.certs = false;
    w.clock.t += 3000;
    const again = await sampler.sample();
    expect(reads).toEqual(['s1']);
    expect(again.certificates?.map((c) => c.domain)).toEqual(['web.example.com']);
    expect(again.unread?.certificates).toEqual([]);
  });
});
