// On the real engine, through the real CLI: a Redis shared by staging and prod (scope: server)
// keeps them apart with ACL users. From inside staging's app container (the redis:7 image, so
// redis-cli is there), with the REDIS_URL Slipway gave it: prod's DB and keys are out of reach,
// an unauthenticated connection gets NOAUTH, FLUSHALL, CONFIG GET and KEYS are refused, and
// its own keys work. The default user is off, passwords are in no output and nowhere in the
// instance but as SHA-256 hashes, the users survive a restart of Redis, and a second `up` has
// nothing to apply.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureEngine, ensureImages } from './harness/engine.ts';
import { slipway, slipwayOk } from './support/cli.ts';
import { cleanupProject, freePort, makeProject, projectContainers, type TestProject } from './support/project.ts';

let p: TestProject;
let port: number;
const outputs: string[] = [];

function fleet(): string {
  return `project: ${p.project}
servers:
  local: { local: true, memory: 4GiB, proxy: caddy, http_port: ${port} }
environments:
  staging: { server: local, deploy: any, tls: "off" }
  prod: { server: local, deploy: any, protected: true, tls: "off" }
services:
  redis: { image: redis:7, scope: server, memory: 128MiB }
apps:
  api:
    image: redis:7
    uses: [redis]
    redis: { key_prefix: "{app}:{env}:" }
    processes:
      worker: { command: ["sleep", "infinity"], memory: 64MiB }
`;
}

const docker = (args: string[], input?: string): string =>
  execFileSync('docker', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}), stdio: ['pipe', 'pipe', 'pipe'] }).trim();

async function appContainer(env: string): Promise<string> {
  const c = (await projectContainers(p.project)).find((x) => x.labels['slipway.app'] === 'api' && x.labels['slipway.env'] === env && x.state === 'running');
  if (!c) throw new Error(`no running api container in ${env}`);
  return c.name;
}

/** redis-cli in ENV's app container with its own REDIS_URL (user, password, host, DB), one command per line of stdin. */
async function asApp(env: string, commands: string[], url = '"$REDIS_URL"'): Promise<string[]> {
  const out = docker(['exec', '-i', await appContainer(env), 'sh', '-c', `redis-cli -u ${url} 2>&1`], `${commands.join('\n')}\n`);
  // Without a terminal, redis-cli prints each reply on its line, and an empty line after an error.
  return out.split('\n').filter((l) => l !== '' && !l.startsWith('Warning:'));
}

const envOf = (container: string, name: string): string =>
  (JSON.parse(docker(['inspect', container]))[0].Config.Env as string[]).find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1) ?? '';

beforeAll(async () => {
  await ensureEngine();
  await ensureImages(['caddy', 'redis']);
  p = makeProject('redisacl');
  port = await freePort();
  p.writeFleet(fleet());
  outputs.push((await slipwayOk(['up', '--json'], { cwd: p.dir })).stdout);
  for (const env of ['staging', 'prod']) outputs.push((await slipwayOk(['deploy', 'api', env, '--drain', '0'], { cwd: p.dir })).stdout);
  // Prod writes its own key, with its own credentials.
  expect(await asApp('prod', ['SET api:prod:secret-data prod-only', 'GET api:prod:secret-data'])).toEqual(['OK', 'prod-only']);
}, 600_000);

afterAll(async () => {
  if (p) await cleanupProject(p.project, p.dir);
});

describe('Redis ACLs on a shared instance (real engine)', () => {
  it("each app gets REDIS_URL with its own user, a generated password and its DB; prod's and staging's differ", async () => {
    const urls = await Promise.all(['staging', 'prod'].map(async (env) => new URL(envOf(await appContainer(env), 'REDIS_URL'))));
    expect(urls.map((u) => [u.protocol, u.username, u.hostname, u.port])).toEqual([
      ['redis:', 'api.staging', 'redis', '6379'],
      ['redis:', 'api.prod', 'redis', '6379'],
    ]);
    expect(urls[0]!.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(urls[0]!.password).not.toBe(urls[1]!.password);
    expect(urls[0]!.pathname).not.toBe(urls[1]!.pathname);
    expect(envOf(await appContainer('staging'), 'REDIS_PREFIX')).toBe('api:staging:');
  });

  it("from staging, with staging's credentials: prod's DB and keys are denied, its own keys work", async () => {
    const prodDb = new URL(envOf(await appContainer('prod'), 'REDIS_URL')).pathname.slice(1);
    const r = await asApp('staging', [
      'ACL WHOAMI',
      'SET api:staging:k mine',
      'GET api:staging:k',
      `SELECT ${prodDb}`,
      'GET api:prod:secret-data',
      'SET api:prod:secret-data overwritten',
      'DEL api:prod:secret-data',
      'SET unprefixed 1',
    ]);
    expect(r[0]).toBe('api.staging');
    expect(r.slice(1, 4)).toEqual(['OK', 'mine', 'OK']);
    expect(r).toHaveLength(8);
    // SELECT cannot be limited per DB in Redis 7; the key prefix is the boundary in every DB.
    for (const line of r.slice(4)) expect(line).toMatch(/^NOPERM/);
    expect(await asApp('prod', ['GET api:prod:secret-data'])).toEqual(['prod-only']);
  });

  it('an unauthenticated connection is refused (NOAUTH): the default user is off', async () => {
    const r = await asApp('staging', ['PING', 'GET api:prod:secret-data', 'FLUSHALL'], 'redis://redis:6379/0');
    expect(r).toHaveLength(3);
    for (const line of r) expect(line).toMatch(/^NOAUTH/);
    // The default user can neither log in with an empty password nor with any other.
    expect((await asApp('staging', ['AUTH default ""', 'AUTH default nopass'], 'redis://redis:6379/0')).join('\n')).not.toMatch(/^OK$/m);
  });

  it('FLUSHALL, FLUSHDB, CONFIG GET/SET, KEYS, DEBUG, SHUTDOWN, REPLICAOF, MODULE and ACL changes are refused for app users', async () => {
    const r = await asApp('staging', [
      'FLUSHALL',
      'FLUSHDB',
      'CONFIG GET dir',
      'CONFIG SET dir /tmp',
      'KEYS *',
      'DEBUG SLEEP 0',
      'SHUTDOWN NOSAVE',
      'REPLICAOF 127.0.0.1 1',
      'MODULE LIST',
      'ACL SETUSER api.staging ~*',
      'SWAPDB 0 1',
      'FUNCTION FLUSH',
    ]);
    expect(r).toHaveLength(12);
    // DEBUG and MODULE are also off in Redis 7 itself (enable-debug-command, enable-module-command).
    for (const line of r) expect(line).toMatch(/^NOPERM|^ERR (DEBUG|MODULE) command not allowed/);
    expect(r.filter((l) => l.startsWith('NOPERM'))).toHaveLength(r[5]!.startsWith('NOPERM') ? 12 : 11);
    // Nothing was flushed: prod's key is still there.
    expect(await asApp('prod', ['EXISTS api:prod:secret-data'])).toEqual(['1']);
  });

  it("KEYS, SCAN and RANDOMKEY (key names of prod's DB) and channels outside its prefix: denied", async () => {
    const prodDb = new URL(envOf(await appContainer('prod'), 'REDIS_URL')).pathname.slice(1);
    const r = await asApp('staging', [
      'KEYS api:prod:*',
      'PUBLISH api:prod:events hi',
      'PUBLISH api:staging:events hi',
      `SELECT ${prodDb}`,
      // A key pattern does not filter the names SCAN and RANDOMKEY return: both are refused on a shared instance.
      'SCAN 0',
      'RANDOMKEY',
    ]);
    expect(r).toEqual([
      expect.stringMatching(/^NOPERM/),
      expect.stringMatching(/^NOPERM/),
      '0',
      'OK',
      expect.stringMatching(/^NOPERM/),
      expect.stringMatching(/^NOPERM/),
    ]);
  });

  it('the instance: default user off, an admin user apps never get, hashes only in its ACL file, no password in its env or argv', async () => {
    const redis = `${p.project}-redis`;
    const file = docker(['exec', redis, 'cat', '/data/users.acl']);
    expect(file).toMatch(/^user default off /m);
    expect(file).toMatch(/^user slipway-admin on #[0-9a-f]{64} ~\* &\* \+@all$/m);
    expect(file).toMatch(/^user api\.staging on (sanitize-payload )?#[0-9a-f]{64} ~api:staging:\* resetchannels &api:staging:\* .*-@dangerous/m);
    const passwords = await Promise.all(['staging', 'prod'].map(async (env) => new URL(envOf(await appContainer(env), 'REDIS_URL')).password));
    const inspect = docker(['inspect', redis]);
    for (const pw of passwords) {
      expect(file).not.toContain(pw);
      expect(inspect).not.toContain(pw);
      for (const out of outputs) expect(out).not.toContain(pw);
    }
    const plan = (await slipwayOk(['plan', '--json'], { cwd: p.dir })).stdout;
    for (const pw of passwords) expect(plan).not.toContain(pw);
  });

  it('a second up has no ACL to apply; the users survive a restart of Redis', async () => {
    const plan = JSON.parse((await slipwayOk(['plan', '--json'], { cwd: p.dir })).stdout) as { actions: { type: string }[] };
    expect(plan.actions.filter((a) => a.type === 'redis-acl' || a.type === 'container')).toEqual([]);
    docker(['restart', '-t', '2', `${p.project}-redis`]);
    let pong = '';
    for (let i = 0; i < 50 && pong !== 'PONG'; i++) {
      pong = (await asApp('staging', ['PING']))[0] ?? '';
      if (pong !== 'PONG') await new Promise((r) => setTimeout(r, 200));
    }
    expect(pong).toBe('PONG');
    expect(await asApp('prod', ['GET api:prod:secret-data'])).toEqual(['prod-only']);
    expect((await asApp('staging', ['GET api:prod:secret-data']))[0]).toMatch(/^NOPERM/);
  });

  it('check: distinct prefixes pass; without them prod is an error, and up applies the wider ACL live (then back)', async () => {
    const ok = JSON.parse((await slipwayOk(['check', '--json'], { cwd: p.dir })).stdout) as { findings: { code: string }[] };
    expect(ok.findings.filter((f) => f.code === 'redis-shared-keys')).toEqual([]);

    p.writeFleet(fleet().replace('    redis: { key_prefix: "{app}:{env}:" }\n', ''));
    const bad = await slipway(['check', '--json'], { cwd: p.dir });
    expect(bad.code).toBe(1);
    const errors = (JSON.parse(bad.stdout) as { findings: { code: string; severity: string; app: string; env: string; hint: string }[] }).findings.filter(
      (f) => f.code === 'redis-shared-keys' && f.severity === 'error',
    );
    expect(errors.map((f) => `${f.app}/${f.env}`)).toEqual(['api/prod']);
    expect(errors[0]!.hint).toContain('scope: environment');

    const up = JSON.parse((await slipwayOk(['up', '--json'], { cwd: p.dir })).stdout) as {
      servers: { applied: { type: string; kind: string; outcome: string }[] }[];
    };
    expect(up.servers[0]!.applied.filter((a) => a.type === 'redis-acl').map((a) => [a.kind, a.outcome])).toEqual([['update', '2 users set, default user off']]);
    // What check said: with no prefix, staging's user reaches prod's keys (same connection, live).
    const prodDb = new URL(envOf(await appContainer('prod'), 'REDIS_URL')).pathname.slice(1);
    expect(await asApp('staging', [`SELECT ${prodDb}`, 'GET api:prod:secret-data'])).toEqual(['OK', 'prod-only']);

    p.writeFleet(fleet());
    await slipwayOk(['up'], { cwd: p.dir });
    expect(await asApp('staging', [`SELECT ${prodDb}`, 'GET api:prod:secret-data'])).toEqual(['OK', expect.stringMatching(/^NOPERM/)]);
  });
});
