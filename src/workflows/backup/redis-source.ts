// A Redis DB as a backup source: only the environment's own DB number, never the whole instance
// (a shared instance holds other environments' DBs). A one-off container of the instance's image on
// the environment's network runs redis-cli in a loop: each round, one EVAL SCANs a batch of keys and
// returns, per key, `hex(key) pttl hex(DUMP payload)` (format slipway-redis-dump/1: one line per
// key, RESTORE-able with the same TTL). Batches keep memory bounded on both sides. It runs as
// Slipway's admin user (workflows/redis-acl.ts), never as an app's.
import { randomBytes } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { RedisObject } from '../../backup/manifest.ts';
import { LABELS } from '../../model/labels.ts';
import { privateNetwork, REDIS_ADMIN_USER } from '../../model/names.ts';
import type { RedisDbSpec } from '../../plan/desire/desired.ts';
import { redisAdminCli, redisAdminPassword } from '../redis-acl.ts';
import type { ServerRun } from '../server-run.ts';

/** One batch: the next cursor, then one line per key. Hex keeps keys and payloads binary-safe in redis-cli's --raw output. */
export const REDIS_DUMP_LUA = `local r = redis.call('SCAN', ARGV[1], 'COUNT', 200)
local out = {r[1]}
local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end
for _, k in ipairs(r[2]) do
  local d = redis.call('DUMP', k)
  if d then out[#out + 1] = hex(k) .. ' ' .. redis.call('PTTL', k) .. ' ' .. hex(d) end
end
return out`;

const LOOP = `set -e
cursor=0
while :; do
  out=$(redis-cli -h "$1" -p "$2" --user "$5" -n "$3" --raw EVAL "$4" 0 "$cursor")
  cursor=$(printf '%s\\n' "$out" | head -n 1)
  printf '%s\\n' "$out" | tail -n +2 | grep -v '^$' || true
  [ "$cursor" = 0 ] && break
done`;

/** Counts the lines (keys) that pass through. */
class LineCounter extends Transform {
  lines = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    for (const b of chunk) if (b === 10) this.lines++;
    cb(null, chunk);
  }
}

export interface RedisDump {
  stdout: Readable;
  finish(): Promise<RedisObject>;
  abort(): Promise<void>;
}

export async function startRedisDump(run: ServerRun, env: string, r: RedisDbSpec): Promise<RedisDump> {
  const instance = run.state.containers.find((c) => c.key === r.instance);
  if (!instance) throw new Error(`${run.conn.server.name}: no Redis instance ${r.instance}`);
  const network = privateNetwork(run.fleet.project, env);
  const net = instance.networks.find((n) => n.network === network) ?? instance.networks[0]!;
  const host = net.aliases[0] ?? instance.name;
  const port = instance.port ?? 6379;
  // Slipway's admin user reads every key of the DB (app users may be limited to a prefix); its
  // password reaches redis-cli in the env (REDISCLI_AUTH), never in argv.
  const admin = await redisAdminPassword(run, instance.name);
  const info = await redisAdminCli(run, instance.name, ['INFO', 'server']).catch(() => ({ exitCode: 1, stdout: '', stderr: '' }));
  const serverVersion = /redis_version:(\S+)/.exec(info.stdout)?.[1] ?? 'unknown';
  const dump = await run.conn.engine.runStreaming({
    name: `${run.fleet.project}-slipway-backup-redis-${randomBytes(4).toString('hex')}`,
    image: instance.image,
    entrypoint: ['/bin/sh', '-c', LOOP, 'sh'],
    cmd: [host, String(port), String(r.db), REDIS_DUMP_LUA, REDIS_ADMIN_USER],
    env: { REDISCLI_AUTH: admin },
    labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'backup', [LABELS.env]: env },
    networks: [{ name: net.network, aliases: [] }],
    mounts: [],
    restart: 'no',
    stopTimeoutS: 1,
  });
  const counter = new LineCounter();
  dump.stdout.on('error', (e) => counter.destroy(e));
  dump.stdout.pipe(counter);
  return {
    stdout: counter,
    abort: () => dump.kill(),
    finish: async () => {
      const d = await dump.done;
      if (d.exitCode !== 0)
        throw new Error(`dumping Redis DB ${r.db} of ${r.service} failed (exit ${d.exitCode}): ${d.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      return { service: r.service, db: r.db, serverVersion, image: instance.image, format: 'slipway-redis-dump/1', keys: counter.lines };
    },
  };
}
