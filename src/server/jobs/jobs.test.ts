import { describe, expect, it } from 'vitest';
import { LineOutput, Jobs } from './jobs.ts';
import { StepLog } from './job.ts';

async function settle(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe('StepLog', () => {
  it('keeps the first and the newest steps, and says how many it left out', () => {
    const log = new StepLog(10);
    for (let i = 0; i < 25; i++) log.add({ at: `t${i}`, text: `line ${i}` });
    expect(log.list().map((s) => s.text)).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      '… 15 line(s) left out …',
      'line 20',
      'line 21',
      'line 22',
      'line 23',
      'line 24',
    ]);
  });
});

describe('LineOutput', () => {
  it('hands on whole lines, trimmed at the end, skipping empty ones; flush gives the rest', () => {
    const lines: string[] = [];
    const out = new LineOutput((l) => lines.push(l));
    out.write('a\r\nb');
    out.write('c  \n\n   \nd');
    expect(lines).toEqual(['a', 'bc']);
    out.flush();
    expect(lines).toEqual(['a', 'bc', 'd']);
  });
});

describe('Jobs', () => {
  it('never drops a running job to keep the limit, and each job ends once', async () => {
    let n = 0;
    const jobs = new Jobs({ now: () => 0, limit: 2, newId: () => String(++n).padStart(12, '0') });
    const ends: string[] = [];
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    jobs.start(
      { action: 'deploy', env: 'a', by: 'x' },
      async () => hold,
      (j, d) => ends.push(`${j.id} ${d.status}`),
    );
    for (const env of ['b', 'c', 'd']) jobs.start({ action: 'deploy', env, by: 'x' }, async () => 'ok');
    await settle(() => jobs.list().filter((j) => j.status === 'ok').length >= 1);
    expect(jobs.list().map((j) => j.id)).toEqual(['000000000004', '000000000001']);
    expect(jobs.runningIn('a')?.id).toBe('000000000001');
    release();
    await settle(() => ends.length === 1);
    expect(ends).toEqual(['000000000001 ok']);
  });
});
