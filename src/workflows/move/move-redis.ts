// The environment's Redis DBs in a move, copied during the cutover's pause (queues and caches are
// small and change constantly: no live replication): the source's keys are dumped by Slipway's
// admin user (the backup's dump, TTLs kept) and restored into the target's DB for the environment
// (its number may differ), which is emptied first.
import { randomBytes } from 'node:crypto';
import { LABELS } from '../../model/labels.ts';

import { DumpToRestore } from '../backup/restore-redis.ts';
import { startRedisDump } from '../backup/redis-source.ts';
import { redisAdminCli, redisAdminPassword } from '../redis-acl.ts';
import { privateNetwork, REDIS_ADMIN_USER } from '../../model/names.ts';
import type { ServerRun } from '../server-run.ts';

export async function copyRedis(from: ServerRun, to: ServerRun, env: string): Promise<{ db: string; keys: number }[]> {
  const out: { db: string; keys: number }[] = [];
  for (const r of from.state.redisDbs.filter((x) => x.env === env)) {
    const t = to.state.redisDbs.find((x) => x.env === env && x.app === r.app && x.service === r.service);
    if (!t) throw new Error(`${to.conn.server.name}: no Redis DB for ${r.app} in ${env}`);
    const instance = to.state.containers.find((c) => c.key === t.instance);
    if (!instance) throw new Error(`${to.conn.server.name}: no Redis instance ${t.instance}`);
    const source = from.state.containers.find((c) => c.key === r.instance);
    const [had, has] = await Promise.all([
      source ? redisAdminCli(from, source.name, ['-n', String(r.db), 'DBSIZE']) : undefined,
      redisAdminCli(to, instance.name, ['-n', String(t.db), 'DBSIZE']),
    ]);
    // Both empty (no queue, no cache yet): nothing to copy, and no one-off containers to start within the pause.
    if (had?.stdout.trim() === '0' && has.stdout.trim() === '0') {
      out.push({ db: `${r.service}/${r.app}`, keys: 0 });
      continue;
    }
    const flushed = await redisAdminCli(to, instance.name, ['-n', String(t.db), 'FLUSHDB']);
    if (flushed.exitCode !== 0) throw new Error(`${to.conn.server.name}: FLUSHDB on ${instance.name} db ${t.db} failed: ${flushed.stderr.trim()}`);
    const dump = await startRedisDump(from, env, r);
    const conv = new DumpToRestore(t.db);
    dump.stdout.on('error', (e) => conv.destroy(e));
    dump.stdout.pipe(conv);
    const net = instance.networks.find((n) => n.network === privateNetwork(to.fleet.project, env)) ?? instance.networks[0]!;
    const admin = await redisAdminPassword(to, instance.name);
    const pipe = await to.conn.engine.runStreaming(
      {
        name: `${to.fleet.project}-slipway-move-redis-${randomBytes(4).toString('hex')}`,
        image: instance.image,
        entrypoint: ['redis-cli'],
        cmd: ['--user', REDIS_ADMIN_USER, '-h', net.aliases[0] ?? instance.name, '-p', String(instance.port ?? 6379), '--pipe'],
        env: { REDISCLI_AUTH: admin },
        labels: { [LABELS.project]: to.fleet.project, [LABELS.role]: 'move', [LABELS.env]: env },
        networks: [{ name: net.network, aliases: [] }],
        mounts: [],
        restart: 'no',
        stopTimeoutS: 1,
      },
      { stdin: conv },
    );
    const chunks: Buffer[] = [];
    for await (const c of pipe.stdout as AsyncIterable<Buffer>) chunks.push(c);
    const done = await pipe.done;
    await dump.finish();
    const text = `${Buffer.concat(chunks).toString('utf8')}\n${done.stderr}`;
    const errors = Number(/errors:\s*(\d+)/.exec(text)?.[1] ?? 'NaN');
    if (done.exitCode !== 0 || errors !== 0)
      throw new Error(`copying Redis DB ${r.db} of ${r.service} to ${to.conn.server.name} failed: ${text.trim().split('\n').slice(-3).join(' | ')}`);
    out.push({ db: `${r.service}/${r.app}`, keys: conv.keys });
  }
  return out;
}
