// Reads what an attacker container printed (isolation-attacks-scripts.ts) and decides, per
// attempt, whether the server refused it or let it through. Pure: unit-tested beside it.

export interface AttemptOutput {
  id: string;
  exitCode: number;
  /** Measured inside the container; undefined when its `date` cannot give milliseconds. */
  ms?: number;
  /** The answer, non-empty lines only. */
  lines: string[];
}

export type Outcome = 'refused' | 'succeeded';

export interface Verdict {
  outcome: Outcome;
  /** What answered, in one line (an error the server sent, or what the attempt got). */
  answer: string;
}

/** Splits the container's log into its attempts, in order. */
export function parseAttempts(logs: string): AttemptOutput[] {
  const out: AttemptOutput[] = [];
  for (const line of logs.split('\n')) {
    const head = /^@@ (\S+) (\d+) (\d+)\s*$/.exec(line);
    if (head) {
      const ms = Number(head[3]);
      out.push({ id: head[1]!, exitCode: Number(head[2]), ...(ms > 0 && ms < 3_600_000 ? { ms } : {}), lines: [] });
    } else if (line.startsWith('| ') && out.length) {
      const text = line.slice(2).trim();
      if (text) out.at(-1)!.lines.push(text);
    }
  }
  return out;
}

/** Replies redis-cli prints for an error (without a terminal it prints them bare). */
const REDIS_ERROR =
  /^(\(error\) )?(ERR|NOPERM|NOAUTH|WRONGPASS|WRONGTYPE|EXECABORT|READONLY|LOADING|MISCONF|NOSCRIPT|BUSY)\b|^AUTH failed|^Could not connect|^Error:/;
const isRedisError = (l: string) => REDIS_ERROR.test(l);
const firstError = (lines: string[]) => lines.find(isRedisError);
const oneLine = (lines: string[]) => lines.join(' | ').slice(0, 300) || '(no answer)';

/** `canary`: the value planted under the key that select-read tries to read. */
export function judgeRedis(a: AttemptOutput, canary?: string): Verdict {
  const kind = a.id.split(':')[0];
  const err = firstError(a.lines);
  const refused = (answer = err ?? oneLine(a.lines)): Verdict => ({ outcome: 'refused', answer });
  const succeeded = (answer: string): Verdict => ({ outcome: 'succeeded', answer });
  switch (kind) {
    case 'own-credentials':
    case 'no-credentials':
      return a.lines.includes('PONG') ? succeeded('PONG') : refused();
    case 'flushall':
      return a.lines.includes('QUEUED') ? succeeded('QUEUED: FLUSHALL was accepted (the transaction was then discarded)') : refused();
    case 'config-get': {
      const i = a.lines.findIndex((l) => l.toLowerCase() === 'maxmemory');
      return i >= 0 ? succeeded(`maxmemory ${a.lines[i + 1] ?? ''}`.trim()) : refused();
    }
    case 'keys':
      return a.exitCode === 0 && !err ? succeeded(`listed ${a.lines.length} key(s)`) : refused();
    case 'select-read':
    case 'select-write':
    case 'select-list': {
      // Only what follows a SELECT that answered OK happened in the other environment's DB.
      if (a.lines[0] !== 'OK') return refused(`SELECT: ${a.lines[0] ?? '(no answer)'}`);
      const rest = a.lines.slice(1);
      if (kind === 'select-read')
        return canary !== undefined && rest.includes(canary)
          ? succeeded('SELECT OK, then GET returned the other environment’s canary value')
          : refused(`SELECT OK, then GET: ${rest[0] ?? '(nil)'}`);
      if (kind === 'select-write') return rest[0] === 'OK' ? succeeded('SELECT OK, then SET OK') : refused(`SELECT OK, then SET: ${rest[0] ?? '(no answer)'}`);
      // SCAN: a cursor, then the key names.
      const names = /^\d+$/.test(rest[0] ?? '') ? rest.slice(1).filter((l) => !isRedisError(l)) : [];
      return names.length
        ? succeeded(`SELECT OK, then SCAN listed ${names.length} key name(s)`)
        : refused(`SELECT OK, then SCAN: ${err ?? (rest.length > 1 ? oneLine(rest) : 'no key names')}`);
    }
    default:
      return refused(`unknown attempt ${a.id}`);
  }
}

/** psql exits 0 only when the statement ran: that is success for every Postgres attempt. */
export function judgePostgres(a: AttemptOutput): Verdict {
  if (a.exitCode === 0) return { outcome: 'succeeded', answer: oneLine(a.lines) };
  return { outcome: 'refused', answer: postgresReason(a.lines, a.exitCode) };
}

/** The server's own words (`FATAL:  password authentication failed for user "x"`), without psql's preamble. */
export function postgresReason(lines: string[], exitCode: number): string {
  for (const l of lines) {
    const m = /\b(FATAL|ERROR):\s+(.*)$/.exec(l);
    if (m) return `${m[1]}: ${m[2]}`;
  }
  // libpq's own refusal (`connection to server at "postgres" (…), port 5432 failed: fe_sendauth: no password supplied`).
  for (const l of lines) {
    const m = /failed: (.*)$/.exec(l);
    if (m) return m[1]!;
  }
  if (exitCode === 124) return 'timed out (no answer in 20 s)';
  return oneLine(lines);
}
