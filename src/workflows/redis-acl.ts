// Redis ACLs on the server: every instance Slipway runs has its default user off, Slipway's own
// admin user (allocations, flushes, backups, live checks; never given to an app) and one user per
// app and environment (plan/desire/redis-users.ts). Passwords are generated once and kept on the
// server like the Postgres ones (0600, `slipway/{instance}/…`); Redis only ever sees their SHA-256
// (`#hash` rules, and the ACL file in the data volume holds nothing else). The app's REDIS_URL
// (redis://USER:PASSWORD@host:port/db) is a secret written next to its password.
//
// Before an instance's first start, `putRedisAclFile` writes the whole file into its data volume
// (Redis refuses to start without it). Afterwards `applyRedisAcl` changes users live: ACL SETUSER
// for each user (an unchanged user keeps its connections; ACL LOAD would drop every client), ACL
// DELUSER for users no app has any more, then ACL SAVE. The admin's password reaches redis-cli
// through REDISCLI_AUTH in the exec's env, commands through stdin: never argv.
import { createHash } from 'node:crypto';
import { UserError } from '../diag/errors.ts';
import type { ExecResult } from '../engine/docker-engine.ts';
import { engineFile } from '../engine/secret-handover.ts';
import { packTar } from '../engine/tar.ts';
import { REDIS_ACL_FILE, REDIS_ADMIN_USER, redisAdminSecret } from '../model/names.ts';
import type { ContainerSpec, RedisUserSpec } from '../plan/desire/desired.ts';
import { redisAclDigest, redisAclRules } from '../plan/desire/redis-users.ts';
import type { ObservedRedisAcl } from '../plan/diff/observed.ts';
import { Secret, redactSecrets } from '../util/secret.ts';
import { generatePassword } from './postgres-setup.ts';
import type { ServerRun } from './server-run.ts';

const RECORD = 'redis/acl.json';

/** The ACLs `up` last applied on this server, per instance. */
export async function loadRedisAcls(run: Pick<ServerRun, 'store'>): Promise<ObservedRedisAcl[]> {
  return (await run.store.readJson<ObservedRedisAcl[]>(RECORD)) ?? [];
}

async function recordRedisAcl(run: ServerRun, acl: ObservedRedisAcl): Promise<void> {
  const others = (await loadRedisAcls(run)).filter((a) => a.instance !== acl.instance);
  await run.store.writeJson(
    RECORD,
    [...others, acl].sort((a, b) => (a.instance < b.instance ? -1 : 1)),
  );
}

/** A generated secret: read from the server's store, or generated and kept there on first use. */
async function generated(run: ServerRun, name: string): Promise<Secret> {
  const have = await run.store.getSecret(name);
  if (have) return have;
  const pw = generatePassword(name);
  await run.store.setSecret(name, pw);
  return pw;
}

/** The password of Slipway's admin user on an instance (container name prefix). */
export function redisAdminPassword(run: ServerRun, instanceName: string): Promise<Secret> {
  return generated(run, redisAdminSecret(instanceName));
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The users of an instance in desired state. */
export function usersOf(run: ServerRun, instanceKey: string): RedisUserSpec[] {
  return (run.state.redisUsers ?? []).filter((u) => u.instance === instanceKey);
}

/** `#hash rules…` of each user, its password generated when new, its REDIS_URL secret written. */
async function userLines(run: ServerRun, instance: ContainerSpec, users: readonly RedisUserSpec[]): Promise<{ user: string; rule: Secret }[]> {
  const out: { user: string; rule: Secret }[] = [];
  for (const u of users) {
    const pw = await generated(run, u.passwordSecret);
    const url = Secret.join(u.urlSecret, [`redis://${u.user}:`, pw, `@${u.host}:${u.port}/${u.db}`]);
    await run.store.setSecret(u.urlSecret, url);
    out.push({ user: u.user, rule: Secret.join(`acl of ${u.user} on ${instance.name}`, ['on #', pw.map(sha256), ' ', redisAclRules(u).join(' ')]) });
  }
  return out;
}

/**
 * Writes the instance's whole ACL file into its data volume; called between creating the
 * container and starting it (Redis does not start without the file named by --aclfile).
 */
export async function putRedisAclFile(run: ServerRun, instance: ContainerSpec, containerId: string): Promise<void> {
  const users = usersOf(run, instance.key);
  const admin = await redisAdminPassword(run, instance.name);
  const lines = await userLines(run, instance, users);
  const file = Secret.join(`ACL file of ${instance.name}`, [
    'user default off resetchannels -@all\n',
    `user ${REDIS_ADMIN_USER} on #`,
    admin.map(sha256),
    ' ~* &* +@all\n',
    ...lines.flatMap((l) => [`user ${l.user} `, l.rule, '\n']),
  ]);
  const path = REDIS_ACL_FILE.replace(/^\/data\//, '');
  await run.conn.engine.putArchive(containerId, '/data', await packTar([{ path, content: engineFile(file), mode: 0o600 }]));
  await recordRedisAcl(run, { instance: instance.key, digest: redisAclDigest(users), users: users.map((u) => u.user) });
}

/** redis-cli as Slipway's admin user inside the instance's container (`db` selects a DB). */
export async function redisAdminCli(
  run: ServerRun,
  container: string,
  args: string[],
  opts: { db?: number; stdin?: string | Secret; instanceName?: string } = {},
): Promise<ExecResult> {
  const admin = await redisAdminPassword(run, opts.instanceName ?? container);
  const db = opts.db === undefined ? [] : ['-n', String(opts.db)];
  const r = await run.conn.engine.exec(container, ['redis-cli', '--user', REDIS_ADMIN_USER, ...db, ...args], {
    env: { REDISCLI_AUTH: admin },
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  });
  return { ...r, stdout: redactSecrets(r.stdout, [admin]), stderr: redactSecrets(r.stderr, [admin]) };
}

/** Waits until the instance answers the admin user's PING. */
export async function waitForRedis(run: ServerRun, container: string, instanceName: string, timeoutMs = 60_000): Promise<void> {
  const deadline = run.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await redisAdminCli(run, container, ['PING'], { instanceName }).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: String(e) }));
    if (r.stdout.trim() === 'PONG') return;
    last = (r.stderr || r.stdout).trim().split('\n').pop() ?? '';
    if (run.now() > deadline)
      throw new UserError(
        `${run.conn.server.name}: Redis in ${container} does not answer Slipway's admin user after ${timeoutMs / 1000} s: ${last}`,
        `look at its logs (docker logs ${container}); its ACL file is ${REDIS_ACL_FILE} in its data volume`,
      );
    await run.sleep(300);
  }
}

/**
 * Applies the instance's users live and saves them to its ACL file. Returns what changed
 * (`3 users set, 1 removed`).
 */
export async function applyRedisAcl(run: ServerRun, instance: ContainerSpec, containerName: string): Promise<string> {
  const users = usersOf(run, instance.key);
  await waitForRedis(run, containerName, instance.name);
  const listed = await redisAdminCli(run, containerName, ['ACL', 'USERS'], { instanceName: instance.name });
  if (listed.exitCode !== 0) throw aclError(run, containerName, 'listing its users', listed);
  const wanted = new Set(users.map((u) => u.user));
  const stale = listed.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((u) => u !== '' && u !== 'default' && u !== REDIS_ADMIN_USER && !wanted.has(u));
  const lines = await userLines(run, instance, users);
  const parts: (string | Secret)[] = ['ACL SETUSER default reset\n'];
  for (const l of lines) parts.push(`ACL SETUSER ${l.user} reset `, l.rule, '\n');
  for (const u of stale) parts.push(`ACL DELUSER ${u}\n`);
  parts.push('ACL SAVE\n');
  const r = await redisAdminCli(run, containerName, [], { instanceName: instance.name, stdin: Secret.join(`ACL of ${instance.name}`, parts) });
  const replies = r.stdout.split('\n').map((l) => l.trim());
  const failed = replies.find((l) => /^(ERR|WRONGPASS|NOAUTH|NOPERM)\b/.test(l));
  if (r.exitCode !== 0 || failed || replies.filter((l) => l === 'OK').length !== lines.length + 2) throw aclError(run, containerName, 'setting its users', r);
  await recordRedisAcl(run, { instance: instance.key, digest: redisAclDigest(users), users: users.map((u) => u.user) });
  return `${users.length} user${users.length === 1 ? '' : 's'} set${stale.length ? `, ${stale.length} removed (${stale.join(', ')})` : ''}, default user off`;
}

function aclError(run: ServerRun, container: string, what: string, r: ExecResult): UserError {
  const detail = (r.stderr.trim() || r.stdout.trim())
    .split('\n')
    .filter((l) => /ERR|WRONGPASS|NOAUTH|NOPERM|fail/i.test(l))
    .slice(-2)
    .join(' | ');
  return new UserError(
    `${run.conn.server.name}: Redis ACL on ${container}: ${what} failed (exit ${r.exitCode}): ${detail || 'unexpected reply'}`,
    `nothing else was changed; look at the instance with: slipway status, and its ACL file ${REDIS_ACL_FILE}`,
  );
}
