// A writer that inserts rows into a Postgres table, one at a time, through a long-running `psql`
// session exec'd in the database's own container, and records which inserts were acknowledged
// (psql prints a row's RETURNING value only once the server has committed it). When the session
// dies (the database is stopped or replaced) it finds the running container again and carries on
// with the next id; ids are never reused, so an insert that was not acknowledged may or may not
// be in the table, and every acknowledged one must be.
import type Docker from 'dockerode';
import { demuxer } from './container-exec.ts';

export interface PgWriterOptions {
  docker: Docker;
  /** The running database container's id, or undefined while there is none. */
  find: () => Promise<string | undefined>;
  user: string;
  database: string;
  /** INSERT for one id; must end with `RETURNING id;`. */
  insert: (id: number) => string;
  /** Pause between inserts, to keep the machine's load low. Default 20 ms. */
  paceMs?: number;
  /** An insert without an answer after this long is given up and its session dropped. Default 10 s. */
  timeoutMs?: number;
}

export interface PgWriterReport {
  attempted: number;
  /** Ids the database acknowledged, in order. */
  acknowledged: number[];
  /** When each id was acknowledged (ISO time), by id. */
  ackedAt: Map<number, string>;
  /** Inserts that got an error, or whose session was lost before the answer. */
  unacknowledged: number;
  /** psql sessions opened (1 when the database never went away). */
  sessions: number;
  /** When each session opened, on which container, from which id on. */
  sessionLog: string[];
  /** The first few reasons a session ended or an insert failed. */
  errors: string[];
}

export interface PgWriter {
  /** Ids acknowledged so far. */
  acknowledgedCount(): number;
  /** Stops after the insert in flight; resolves with what happened. */
  stop(): Promise<PgWriterReport>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startPgWriter(opts: PgWriterOptions): PgWriter {
  const report: PgWriterReport = { attempted: 0, acknowledged: [], ackedAt: new Map(), unacknowledged: 0, sessions: 0, sessionLog: [], errors: [] };
  const note = (e: unknown) => {
    if (report.errors.length < 20) report.errors.push((e instanceof Error ? e.message : String(e)).trim().slice(0, 200));
  };
  let stopping = false;
  let next = 1;

  /** One psql session: inserts until it ends, the writer stops, or an insert times out. */
  async function session(container: string): Promise<void> {
    const ex = await opts.docker.getContainer(container).exec({
      Cmd: ['psql', '-At', '-U', opts.user, '-d', opts.database],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = (await ex.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream & { destroy(): void };
    report.sessions++;
    report.sessionLog.push(`${new Date().toISOString()} session ${report.sessions} on ${container.slice(0, 12)} from id ${next}`);
    let ended = false;
    let pending: { id: number; done: (ok: boolean, why?: string) => void } | null = null;
    let outLine = '';
    let errLine = '';
    const feed = demuxer((s, data) => {
      if (s === 2) {
        errLine += data.toString('utf8');
        const lines = errLine.split('\n');
        errLine = lines.pop()!;
        for (const l of lines) if (l.trim()) pending?.done(false, l);
        return;
      }
      outLine += data.toString('utf8');
      const lines = outLine.split('\n');
      outLine = lines.pop()!;
      for (const l of lines) if (pending && l.trim() === String(pending.id)) pending.done(true);
    });
    stream.on('data', feed);
    const closed = new Promise<void>((resolve) => {
      const end = () => {
        ended = true;
        pending?.done(false, 'session ended');
        resolve();
      };
      stream.on('end', end);
      stream.on('close', end);
      stream.on('error', (e) => {
        note(e);
        end();
      });
    });
    while (!stopping && !ended) {
      const id = next++;
      report.attempted++;
      const ok = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => finish(false, `insert ${id}: no answer after ${opts.timeoutMs ?? 10_000} ms`), opts.timeoutMs ?? 10_000);
        function finish(acked: boolean, why?: string) {
          if (pending?.id !== id) return;
          pending = null;
          clearTimeout(timer);
          if (why) note(`${new Date().toISOString()} insert ${id}: ${why}`);
          resolve(acked);
        }
        pending = { id, done: finish };
        stream.write(`${opts.insert(id)}\n`);
      });
      if (ok) {
        report.acknowledged.push(id);
        report.ackedAt.set(id, new Date().toISOString());
      } else {
        report.unacknowledged++;
        if (!ended) break; // a timeout or an error: start a new session
      }
      await sleep(opts.paceMs ?? 20);
    }
    stream.end();
    stream.destroy();
    await closed;
  }

  const loop = (async () => {
    while (!stopping) {
      const container = await opts.find().catch((e) => {
        note(e);
        return undefined;
      });
      if (container) await session(container).catch(note);
      if (!stopping) await sleep(250);
    }
  })();

  return {
    acknowledgedCount: () => report.acknowledged.length,
    async stop() {
      stopping = true;
      await loop;
      return report;
    },
  };
}
