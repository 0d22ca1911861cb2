// A Redis DB dump (format slipway-redis-dump/1: one line per key, `hex(key) pttl hex(DUMP)`)
// restored into a throwaway Redis of the dump's image: the lines are turned into RESP commands as
// they stream in (one key's line in memory at a time) and fed to `redis-cli --pipe` next to a
// server on a Unix socket only, in one container. Each key goes through RESTORE, which checks the
// payload's RDB version and CRC64, inside a small Lua script that records a refused key (hex) in
// DB 1 instead of stopping; the restored keys are in DB 0 without their TTLs (so none expires during
// the check). The result: how many lines came in, how many keys DB 0 holds, and the refused keys.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { UserError } from '../../diag/errors.ts';
import { RestoreRefusedError, type ThrowawaySet } from './throwaway.ts';

/** RESTORE one key (KEYS[1], payload ARGV[1]) with no TTL; a refusal is recorded as `hex(key) error` in DB 1's list `failures`. */
export const RESTORE_LUA = `local r = redis.pcall('RESTORE', KEYS[1], 0, ARGV[1], 'REPLACE')
if type(r) == 'table' and r.err then
  local hex = string.gsub(KEYS[1], '.', function(c) return string.format('%02x', string.byte(c)) end)
  redis.call('SELECT', 1)
  redis.call('RPUSH', 'failures', hex .. ' ' .. r.err)
end
return 0`;

const SCRIPT = `set -e
redis-server --port 0 --unixsocket /tmp/v.sock --unixsocketperm 700 --save '' --appendonly no --daemonize yes --dir /tmp --logfile /tmp/redis.log
i=0
until redis-cli -s /tmp/v.sock ping >/dev/null 2>&1; do i=$((i+1)); [ "$i" -lt 300 ] || { cat /tmp/redis.log >&2; exit 4; }; sleep 0.1; done
redis-cli -s /tmp/v.sock --pipe >/tmp/pipe.out 2>&1 || { cat /tmp/pipe.out >&2; exit 5; }
echo "dbsize $(redis-cli -s /tmp/v.sock -n 0 DBSIZE)"
echo "failures $(redis-cli -s /tmp/v.sock -n 1 LLEN failures)"
redis-cli -s /tmp/v.sock -n 1 --raw LRANGE failures 0 9`;

const bulk = (b: Buffer | string) => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return [Buffer.from(`$${buf.length}\r\n`), buf, Buffer.from('\r\n')];
};

/** Dump lines → `EVAL RESTORE_LUA 1 key payload` commands (RESP); counts the lines, rejects a malformed one naming its number. */
export class DumpToResp extends Transform {
  lines = 0;
  #rest: Buffer = Buffer.alloc(0);
  constructor(private readonly label: string) {
    super({ highWaterMark: 1024 * 1024 });
  }
  #line(line: Buffer): Buffer[] {
    this.lines++;
    const [k, ttl, p, extra] = line.toString('latin1').split(' ');
    if (!k || !p || extra !== undefined || !/^-?\d+$/.test(ttl ?? '') || !/^([0-9a-f]{2})+$/.test(k) || !/^([0-9a-f]{2})+$/.test(p))
      throw new RestoreRefusedError(`${this.label}: line ${this.lines} of the Redis dump is not "hex(key) pttl hex(payload)"`);
    return [Buffer.from('*5\r\n'), ...bulk('EVAL'), ...bulk(RESTORE_LUA), ...bulk('1'), ...bulk(Buffer.from(k, 'hex')), ...bulk(Buffer.from(p, 'hex'))];
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    let buf = this.#rest.length ? Buffer.concat([this.#rest, chunk]) : chunk;
    const out: Buffer[] = [];
    try {
      let nl = buf.indexOf(10);
      while (nl >= 0) {
        if (nl > 0) out.push(...this.#line(buf.subarray(0, nl)));
        buf = buf.subarray(nl + 1);
        nl = buf.indexOf(10);
      }
    } catch (e) {
      cb(e as Error);
      return;
    }
    this.#rest = Buffer.from(buf);
    cb(null, out.length ? Buffer.concat(out) : undefined);
  }
  override _flush(cb: TransformCallback): void {
    try {
      cb(null, this.#rest.length ? Buffer.concat(this.#line(this.#rest)) : undefined);
    } catch (e) {
      cb(e as Error);
    }
  }
}

export interface RedisRestoreCheck {
  image: string;
  /** Lines (keys) in the dump. */
  lines: number;
  /** Keys the throwaway holds after the restore. */
  restored: number;
  /** Keys RESTORE refused (up to 10), with Redis's reason. */
  refused: { key: string; error: string }[];
  refusedCount: number;
}

const lastLines = (s: string, n = 4) => s.trim().split('\n').slice(-n).join(' | ');

/** Streams `dump` (plaintext) into a throwaway Redis of `image`; what it holds afterwards. */
export async function restoreRedisDump(set: ThrowawaySet, image: string, dump: Readable, label: string): Promise<RedisRestoreCheck> {
  const resp = new DumpToResp(label);
  let inputError: unknown;
  const r = await set.start(
    set.spec('redis', image, ['/bin/sh', '-c', SCRIPT, 'sh'], [], {
      user: '0:0',
      // The image's VOLUME: a tmpfs, so no anonymous volume outlives the container.
      tmpfs: { '/data': '' },
    }),
    { stdin: resp },
  );
  const fail = (e: unknown) => {
    inputError ??= e;
    void r.kill();
  };
  dump.once('error', fail);
  resp.once('error', fail);
  dump.pipe(resp);
  const out: Buffer[] = [];
  for await (const c of r.stdout as AsyncIterable<Buffer>) out.push(c);
  const { exitCode, stderr } = await r.done;
  if (inputError) throw inputError;
  if (exitCode === 5) throw new RestoreRefusedError(`${label}: restoring the keys failed in ${image}: ${lastLines(stderr)}`);
  if (exitCode !== 0)
    throw new UserError(
      `${label}: ${exitCode === 4 ? 'the throwaway Redis did not start' : 'restoring the keys failed'} in ${image} (exit ${exitCode}): ${lastLines(stderr)}`,
    );
  const lines = Buffer.concat(out).toString('latin1').split('\n');
  const restored = Number(/^dbsize (\d+)$/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
  const refusedCount = Number(/^failures (\d+)$/.exec(lines[1] ?? '')?.[1] ?? Number.NaN);
  if (!Number.isFinite(restored) || !Number.isFinite(refusedCount))
    throw new UserError(`${label}: the throwaway Redis printed no key count: ${lastLines(stderr)}`);
  const refused = lines
    .slice(2)
    .filter(Boolean)
    .map((l) => {
      const sp = l.indexOf(' ');
      return { key: Buffer.from(l.slice(0, sp), 'hex').toString('utf8'), error: l.slice(sp + 1) };
    });
  return { image, lines: resp.lines, restored, refused, refusedCount };
}
