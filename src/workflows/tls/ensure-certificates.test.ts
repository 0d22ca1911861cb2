// ensureCertificates on a FakeEngine behind nginx, with `tls: { mode: files }`: the certificate and
// key come from the environment's secrets, land in the proxy's data volume and the server's
// state, the host gets its 443 server, and the proxy is reloaded only when a certificate changed.
// (ACME itself is tested against pebble: test/acme-order.test.ts, test/tls-acme.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeWorld, upAll } from '../../../test/support/fake-session.ts';
import { unpackTar } from '../../engine/tar.ts';
import { Secret } from '../../util/secret.ts';
import { ensureCertificates } from './ensure-certificates.ts';

const CHAIN = readFileSync(join(import.meta.dirname, '../../../test/fixtures/tls/fullchain.pem'), 'utf8');
const KEY = '-----BEGIN PRIVATE KEY-----\nnot-a-real-key-but-long-enough\n-----END PRIVATE KEY-----\n';
const NGINX = '/etc/nginx/nginx.conf';

const FLEET = `project: acme
servers:
  s2: { ssh: deploy@192.0.2.2, memory: 8GiB, cpus: 2, proxy: nginx, http_port: 8080, https_port: 8443 }
environments:
  prod: { server: s2, tls: { mode: files, cert: { secret: tls-cert }, key: { secret: tls-key } } }
apps:
  web:
    image: acme/web:v1
    domains: { prod: a.example.com }
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;

describe('ensureCertificates with mode files (nginx)', () => {
  it('installs the secrets’ certificate and key in the proxy and the state, serves the host on 443, and reloads only on a change', async () => {
    const w = await fakeWorld(FLEET);
    const run = w.run('s2');
    const fake = w.engine('s2');
    await run.store.setSecret('tls-cert', new Secret(CHAIN, 'tls-cert'), 'prod');
    await run.store.setSecret('tls-key', new Secret(KEY, 'tls-key'), 'prod');
    await upAll(w);

    expect(fake.readFile('acme-proxy', '/data/slipway/certs/a.example.com/fullchain.pem')).toBe(CHAIN);
    // (The fake engine keeps no file modes: test/tls-acme.test.ts checks the 0600 on a real engine.)
    const inProxy = await unpackTar(await fake.getArchive('acme-proxy', '/data/slipway/certs'));
    expect(inProxy.filter((e) => e.type === 'file').map((e) => e.path)).toEqual(['certs/a.example.com/fullchain.pem', 'certs/a.example.com/privkey.pem']);
    expect(fake.readFile('acme-proxy', NGINX)).toMatch(/listen 443 ssl/);
    expect(fake.readFile('acme-proxy', NGINX)).toContain('/data/slipway/certs/a.example.com/fullchain.pem');
    const state = await unpackTar(await fake.getArchive('acme-slipway-state', '/state/tls'));
    expect(
      state
        .filter((e) => e.type === 'file')
        .map((e) => e.path)
        .sort(),
    ).toEqual(['tls/certs/a.example.com.json', 'tls/certs/a.example.com.key']);
    expect(JSON.parse(state.find((e) => e.path.endsWith('.json'))!.content.toString())).toMatchObject({
      host: 'a.example.com',
      source: 'files',
      domains: ['a.example.com', 'b.example.com'],
      issuer: 'Fixture CA',
    });

    // Nothing changed: no write, no reload.
    const again = await ensureCertificates(run);
    expect(again).toMatchObject({ reloaded: false, certificates: [{ host: 'a.example.com', source: 'files', action: 'current' }] });
    expect(fake.calls('exec')).toEqual([]);
    expect(fake.calls('putArchive')).toEqual([]);

    // A new certificate in the secret: installed, and the proxy reloaded (forced: the config is the same).
    const other = CHAIN.split(/(?=-----BEGIN)/)
      .reverse()
      .join('');
    await run.store.setSecret('tls-cert', new Secret(other, 'tls-cert'), 'prod');
    const changed = await ensureCertificates(run);
    expect(changed).toMatchObject({ reloaded: true, certificates: [{ host: 'a.example.com', action: 'installed' }] });
    expect(fake.calls('exec').map((c) => c[1])).toEqual([
      ['nginx', '-t', '-q'],
      ['nginx', '-s', 'reload'],
    ]);
  });

  it('a missing secret fails with what to set, and the host stays on HTTP', async () => {
    const w = await fakeWorld(FLEET);
    const run = w.run('s2');
    await upAll(w); // deploy's infrastructure step only warns
    await expect(ensureCertificates(run)).rejects.toThrow(/could not be obtained: a\.example\.com \(the TLS certificate secret tls-cert of prod is not set\)/);
    expect(w.stderr.join('')).toMatch(/no certificate for a\.example\.com/);
    expect(w.engine('s2').readFile('acme-proxy', NGINX)).not.toMatch(/listen 443/);
    expect(run.state.routes.map((r) => r.host)).toEqual(['a.example.com']);
  });
});
