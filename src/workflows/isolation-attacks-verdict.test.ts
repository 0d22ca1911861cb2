// The verdicts on what redis-cli and psql answered, from answers captured on the real images
// (redis 7.0 with ACL users, Postgres 15): refused stays refused, and every way an attempt can get
// through is seen as succeeded.
import { describe, expect, it } from 'vitest';
import { judgePostgres, judgeRedis, parseAttempts } from './isolation-attacks-verdict.ts';

const block = (id: string, rc: number, ms: number, ...lines: string[]) => [`@@ ${id} ${rc} ${ms}`, ...lines.map((l) => `| ${l}`)].join('\n');

describe('parseAttempts', () => {
  it('splits blocks, drops empty answer lines, keeps the exit code and a plausible ms', () => {
    const logs = [
      block('own-credentials', 0, 12, 'PONG'),
      block('flushall', 0, 0, 'OK', '', 'NOPERM no', 'OK'),
      'stray line',
      block('connect:aletheia_prod', 2, 41),
    ].join('\n');
    expect(parseAttempts(logs)).toEqual([
      { id: 'own-credentials', exitCode: 0, ms: 12, lines: ['PONG'] },
      { id: 'flushall', exitCode: 0, lines: ['OK', 'NOPERM no', 'OK'] },
      { id: 'connect:aletheia_prod', exitCode: 2, ms: 41, lines: [] },
    ]);
  });
});

describe('judgeRedis', () => {
  const at = (id: string, ...lines: string[]) => ({ id, exitCode: 0, lines });

  it('no credentials: NOAUTH is refused, PONG succeeded', () => {
    expect(judgeRedis(at('no-credentials', 'NOAUTH Authentication required.'))).toEqual({ outcome: 'refused', answer: 'NOAUTH Authentication required.' });
    expect(judgeRedis(at('no-credentials', 'PONG')).outcome).toBe('succeeded');
  });

  it('FLUSHALL in MULTI: QUEUED is success, NOPERM refused', () => {
    expect(judgeRedis(at('flushall', 'OK', "NOPERM this user has no permissions to run the 'flushall' command", 'OK'))).toEqual({
      outcome: 'refused',
      answer: "NOPERM this user has no permissions to run the 'flushall' command",
    });
    expect(judgeRedis(at('flushall', 'OK', 'QUEUED', 'OK')).outcome).toBe('succeeded');
  });

  it('CONFIG GET and KEYS', () => {
    expect(judgeRedis(at('config-get', 'maxmemory', '268435456'))).toEqual({ outcome: 'succeeded', answer: 'maxmemory 268435456' });
    expect(judgeRedis(at('config-get', "NOPERM this user has no permissions to run the 'config|get' command")).outcome).toBe('refused');
    expect(judgeRedis(at('keys')).outcome).toBe('succeeded'); // an empty DB listed: KEYS was allowed
    expect(judgeRedis(at('keys', 'a', 'b')).answer).toBe('listed 2 key(s)');
    expect(judgeRedis(at('keys', "NOPERM this user has no permissions to run the 'keys' command")).outcome).toBe('refused');
  });

  it("SELECT another DB: read needs the canary's value, write needs OK, list needs a key name; a refused SELECT refuses all", () => {
    expect(judgeRedis(at('select-read:2', 'OK', 'canary-1'), 'canary-1').outcome).toBe('succeeded');
    expect(judgeRedis(at('select-read:2', 'OK', 'NOPERM this user has no permissions to access one of the keys used as arguments'), 'canary-1').outcome).toBe(
      'refused',
    );
    expect(judgeRedis(at('select-read:2', 'OK'), 'canary-1')).toEqual({ outcome: 'refused', answer: 'SELECT OK, then GET: (nil)' });
    expect(judgeRedis(at('select-write:2', 'OK', 'OK')).outcome).toBe('succeeded');
    // A refused SELECT leaves the connection in its own DB: the SET's OK happened there, not in the other's.
    expect(judgeRedis(at('select-write:2', "NOPERM this user has no permissions to run the 'select' command", 'OK'))).toEqual({
      outcome: 'refused',
      answer: "SELECT: NOPERM this user has no permissions to run the 'select' command",
    });
    expect(judgeRedis(at('select-list:2', 'OK', '0', 'slipway:isolation-canary:x')).outcome).toBe('succeeded');
    expect(judgeRedis(at('select-list:2', 'OK', '0')).outcome).toBe('refused');
  });
});

describe('judgePostgres', () => {
  it('psql exit 0 is success; otherwise the server’s own words', () => {
    expect(judgePostgres({ id: 'read-pg-authid', exitCode: 0, lines: ['7 rows'] })).toEqual({ outcome: 'succeeded', answer: '7 rows' });
    expect(judgePostgres({ id: 'create-database', exitCode: 1, lines: ['ERROR:  permission denied to create database'] })).toEqual({
      outcome: 'refused',
      answer: 'ERROR: permission denied to create database',
    });
    expect(
      judgePostgres({
        id: 'no-credentials',
        exitCode: 2,
        lines: ['psql: error: connection to server at "postgres" (192.168.0.2), port 5432 failed: fe_sendauth: no password supplied'],
      }).answer,
    ).toBe('fe_sendauth: no password supplied');
    expect(judgePostgres({ id: 'connect:x', exitCode: 124, lines: [] }).answer).toMatch(/timed out/);
  });
});
