// A Redis DB restored for real: the target environment's own DB number (never another's) is
// emptied and given the backup's keys with their remaining TTLs. The dump's lines
// (`hex(key) pttl hex(DUMP payload)`, slipway-redis-dump/1) become RESP commands here —
// `SELECT n`, `FLUSHDB`, then `RESTORE key ttl payload REPLACE` per key — streamed into
// `redis-cli --pipe` in a one-off container of the instance's image on the environment's network.
// A key whose TTL had run out when it was dumped (pttl -2) is skipped. Afterwards the DB's size
// is compared with the number of keys sent.
import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ManifestObject } from '../../backup/manifest.ts';
import { LABELS } from '../../model/labels.ts';
import { privateNetwork, REDIS_ADMIN_USER } from '../../model/names.ts';
import type { RedisDbSpec } from '../../plan/desire/desired.ts';
import { redisAdminPassword } from '../redis-acl.ts';
import type { ServerRun } from '../server-run.ts';
import { startProgress } from './progress.ts';
import type { BackupSource } from './restore-read.ts';

/** One RESP command (binary-safe). */
export function resp(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** slipway-redis-dump/1 lines in, RESTORE commands out (after SELECT and FLUSHDB). */
export class DumpToRestore extends Transform {
  keys = 0;
  /** Keys restored with under a minute to live: they may be gone by the time the DB is counted. */
  shortTtl = 0;
  #rest = '';
  constructor(db: number) {
    super();
    this.push(Buffer.concat([resp(['SELECT', String(db)]), resp(['FLUSHDB'])]));
  }
  #line(line: string): void {
    if (!line) return;
    const [k, ttl, payload] = line.split(' ');
    if (!k || ttl === undefined || payload === undefined || !/^-?\d+$/.test(ttl)) throw new Error(`not a slipway-redis-dump/1 line: ${line.slice(0, 40)}…`);
    const pttl = Number(ttl);
    if (pttl === -2) return;
    this.keys++;
    if (pttl > 0 && pttl < 60_000) this.shortTtl++;
    this.push(resp(['RESTORE', Buffer.from(k, 'hex'), String(Math.max(pttl, 0)), Buffer.from(payload, 'hex'), 'REPLACE']));
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    try {
      const text = this.#rest + chunk.toString('latin1');
      const lines = text.split('\n');
      this.#rest = lines.pop()!;
      for (const l of lines) this.#line(l);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
  override _flush(cb: TransformCallback): void {
    try {
      this.#line(this.#rest);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

export async function restoreRedis(run: ServerRun, src: BackupSource, obj: ManifestObject, r: RedisDbSpec): Promise<{ keys: number }> {
  const instance = run.state.containers.find((c) => c.key === r.instance);
  if (!instance) throw new Error(`${run.conn.server.name}: no Redis instance ${r.instance}`);
  const network = privateNetwork(run.fleet.project, r.env);
  const net = instance.networks.find((n) => n.network === network) ?? instance.networks[0]!;
  // As Slipway's admin user (workflows/redis-acl.ts), never an app's; its password in the env, never in argv.
  const admin = await redisAdminPassword(run, instance.name);
  const auth = { args: ['--user', REDIS_ADMIN_USER], env: { REDISCLI_AUTH: admin } };
  const progress = startProgress(run.report, `redis ${r.service} db ${r.db}`, run.now, obj.plainSize);
  const read = await src.open(obj, (n) => progress.update(n));
  const conv = new DumpToRestore(r.db);
  read.stream.on('error', (e) => conv.destroy(e));
  read.stream.pipe(conv);
  try {
    const pipe = await run.conn.engine.runStreaming(
      {
        name: `${run.fleet.project}-slipway-restore-redis-${randomBytes(4).toString('hex')}`,
        image: instance.image,
        entrypoint: ['redis-cli'],
        cmd: [...auth.args, '-h', net.aliases[0] ?? instance.name, '-p', String(instance.port ?? 6379), '--pipe'],
        env: auth.env,
        labels: { [LABELS.project]: run.fleet.project, [LABELS.role]: 'backup', [LABELS.env]: r.env },
        networks: [{ name: net.network, aliases: [] }],
        mounts: [],
        restart: 'no',
        stopTimeoutS: 1,
      },
      { stdin: conv },
    );
    const out: Buffer[] = [];
    for await (const c of pipe.stdout as AsyncIterable<Buffer>) out.push(c);
    const done = await pipe.done;
    const text = `${Buffer.concat(out).toString('utf8')}\n${done.stderr}`;
    if (conv.errored) throw conv.errored;
    await read.check();
    const errors = Number(/errors:\s*(\d+)/.exec(text)?.[1] ?? 'NaN');
    if (done.exitCode !== 0 || errors !== 0)
      throw new Error(
        `restoring Redis DB ${r.db} of ${r.service} failed (redis-cli exited ${done.exitCode}): ${text.trim().split('\n').slice(-3).join(' | ')}`,
      );
  } finally {
    progress.stop();
  }
  const size = await run.conn.engine.exec(instance.name, ['redis-cli', ...auth.args, '-n', String(r.db), 'DBSIZE'], { env: auth.env });
  const n = Number(size.stdout.trim());
  // Keys can only expire meanwhile, never appear: the apps are stopped.
  if (!(n <= conv.keys && n >= conv.keys - conv.shortTtl))
    throw new Error(`Redis DB ${r.db} of ${r.service} holds ${n} keys after the restore; ${conv.keys} were restored`);
  return { keys: n };
}
