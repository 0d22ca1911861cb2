// Secrets stay wrapped from the state store to the engine port: `up` and `deploy` hand the engine
// Secret objects (container env, psql's stdin), so no transcript, result or progress line can hold
// a value; a stored secret too short to redact is refused by name when it would be used.
import { describe, expect, it } from 'vitest';
import { UserError } from '../diag/errors.ts';
import { Secret } from '../util/secret.ts';
import { deployWith, fakeWorld, upAll } from '../../test/support/fake-session.ts';

const FLEET = `project: acme
servers:
  s1: { ssh: deploy@192.0.2.1, memory: 8GiB, cpus: 2, proxy: caddy, http_port: 8080 }
environments:
  prod: { server: s1, domain: "{app}.localhost", tls: "off" }
services:
  postgres: { image: postgres:17, scope: environment }
apps:
  web:
    image: acme/web:v1
    uses: [postgres]
    env: { API_KEY: { secret: api-key } }
    processes:
      web: { command: "node server.js", port: 8000, health: /health, memory: 128MiB }
`;
const API_KEY = 'k3y-Zq3vX9kLm2Pw8RtY5nB7';

async function world() {
  const w = await fakeWorld(FLEET, { images: ['caddy:2', 'postgres:17', 'acme/web:v1'] });
  const psqlInput: unknown[] = [];
  w.engine('s1').onExec(['psql'], ({ opts }) => {
    psqlInput.push(opts.stdin);
    return { exitCode: 0 };
  });
  return { w, psqlInput };
}

describe('secrets stay wrapped up to the engine', () => {
  it('up and deploy give the engine Secret objects, and nothing visible holds a value', async () => {
    const { w, psqlInput } = await world();
    const store = w.run('s1').store;
    await store.setSecret('api-key', new Secret(API_KEY));
    await upAll(w);
    const r = await deployWith(w, 'web', 'prod');

    // psql got its \set lines as one Secret.
    expect(psqlInput).toHaveLength(1);
    expect(psqlInput[0]).toBeInstanceOf(Secret);
    const pgPassword = /\\set \S+ '([^']+)'/.exec((psqlInput[0] as Secret).reveal())![1]!;
    expect(pgPassword.length).toBeGreaterThanOrEqual(32);

    // The app's container env: plain values as strings, secrets as Secrets.
    const web = [...w.engine('s1').containers.values()].find((c) => c.spec.labels['slipway.role'] === 'app')!;
    expect(web.spec.env.API_KEY).toBeInstanceOf(Secret);
    expect(web.spec.env.DATABASE_URL).toBeInstanceOf(Secret);
    expect((web.spec.env.DATABASE_URL as Secret).reveal()).toContain(`:${pgPassword}@`);
    expect(web.spec.env.SLIPWAY_ENV).toBe('prod');
    // The postgres service's superuser password too.
    const pg = [...w.engine('s1').containers.values()].find((c) => c.spec.labels['slipway.role'] === 'service')!;
    expect(pg.spec.env.POSTGRES_PASSWORD).toBeInstanceOf(Secret);
    const superuser = (pg.spec.env.POSTGRES_PASSWORD as Secret).reveal();

    const visible = JSON.stringify({ r, stderr: w.stderr, transcript: w.engine('s1').transcript, env: web.spec.env, pg: pg.spec.env });
    for (const value of [API_KEY, pgPassword, superuser]) expect(visible.includes(value), 'a secret value is visible').toBe(false);
    expect(visible).toContain('"DATABASE_URL":"[redacted]"');
  });

  it('a stored secret too short to redact is refused by name before any container starts', async () => {
    const { w } = await world();
    await upAll(w);
    // Written behind the store's back, as an older Slipway could have.
    await w.run('s1').store.write('secrets/api-key', 'hunter2', 0o600);
    const err = await deployWith(w, 'web', 'prod').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^acme-web-prod-web-0: secret api-key is shorter than 8 characters/);
    expect((err as UserError).hint).toContain('slipway secret set api-key --env prod');
    expect(JSON.stringify({ err: String(err), hint: (err as UserError).hint, stderr: w.stderr })).not.toContain('hunter2');
    expect([...w.engine('s1').containers.values()].filter((c) => c.spec.labels['slipway.role'] === 'app')).toEqual([]);
  });

  it('the store refuses to keep a value too short to redact', async () => {
    const { w } = await world();
    await expect(w.run('s1').store.setSecret('api-key', new Secret('short'))).rejects.toThrow('secret api-key is shorter than 8 characters');
  });
});
