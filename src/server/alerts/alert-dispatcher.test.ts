// The dispatcher against recording notifiers: each transition reaches each notifier once; a failed
// send is recorded, retried on the next dispatch before newer ones (firing before resolved), and
// never sent twice; one notifier's failure does not hold back another; the outbox is bounded.
import { describe, expect, it } from 'vitest';
import { createAlertDispatcher } from './alert-dispatcher.ts';
import type { AlertTransition } from './alert-evaluator.ts';
import type { Notifier } from './notifier.ts';

const T0 = 1_700_000_000_000;

const transition = (key: string, status: AlertTransition['status'], at = T0): AlertTransition => ({
  status,
  key,
  rule: 'server-disk',
  severity: 'warning',
  labels: {},
  title: key,
  detail: '',
  since: T0,
  at,
});

function recorder(name: string) {
  const sent: string[] = [];
  const attempts: string[] = [];
  let down = false;
  const notifier: Notifier = {
    name,
    async send(t) {
      attempts.push(`${t.status} ${t.key}`);
      if (down) throw new Error(`${name} is down`);
      sent.push(`${t.status} ${t.key}`);
    },
  };
  return {
    notifier,
    sent,
    attempts,
    setDown: (v: boolean) => {
      down = v;
    },
  };
}

describe('createAlertDispatcher', () => {
  it('sends each transition once to each notifier, and never again', async () => {
    const a = recorder('hook');
    const b = recorder('mail');
    const d = createAlertDispatcher({ notifiers: [a.notifier, b.notifier], now: () => T0 });
    const firing = transition('disk:vps1', 'firing');
    const res = await d.dispatch([firing]);
    expect(res.sent.map((r) => `${r.notifier} ${r.status} ${r.key} ${r.attempts}`)).toEqual(['hook firing disk:vps1 1', 'mail firing disk:vps1 1']);
    expect(res.failed).toEqual([]);
    await d.dispatch([firing]);
    await d.dispatch([]);
    expect(a.sent).toEqual(['firing disk:vps1']);
    expect(b.sent).toEqual(['firing disk:vps1']);
    expect(d.pending()).toEqual([]);
  });

  it('records a failure, retries it on the next dispatch before newer ones, and sends it once', async () => {
    let now = T0;
    const hook = recorder('hook');
    const mail = recorder('mail');
    const d = createAlertDispatcher({ notifiers: [hook.notifier, mail.notifier], now: () => now });
    mail.setDown(true);
    const first = await d.dispatch([transition('disk:vps1', 'firing')]);
    expect(first.failed).toEqual([{ notifier: 'mail', key: 'disk:vps1', status: 'firing', attempts: 1, error: 'mail is down', at: T0 }]);
    expect(d.pending()).toEqual(first.failed);
    expect(hook.sent).toEqual(['firing disk:vps1']);

    now += 60_000;
    const second = await d.dispatch([transition('disk:vps1', 'resolved', now)]);
    expect(second.failed).toEqual([{ notifier: 'mail', key: 'disk:vps1', status: 'firing', attempts: 2, error: 'mail is down', at: now }]);
    expect(mail.attempts).toEqual(['firing disk:vps1', 'firing disk:vps1']); // stopped at the first failure: resolved waits behind it
    expect(hook.sent).toEqual(['firing disk:vps1', 'resolved disk:vps1']);

    mail.setDown(false);
    now += 60_000;
    const third = await d.dispatch([]);
    expect(third.sent.map((r) => `${r.notifier} ${r.status} ${r.attempts}`)).toEqual(['mail firing 3', 'mail resolved 1']);
    expect(third.failed).toEqual([]);
    await d.dispatch([]);
    expect(mail.sent).toEqual(['firing disk:vps1', 'resolved disk:vps1']);
    expect(hook.sent).toEqual(['firing disk:vps1', 'resolved disk:vps1']);
    expect(d.pending()).toEqual([]);
  });

  it('runs dispatches one at a time, so a retry is never sent twice by overlapping calls', async () => {
    const slow = recorder('hook');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gated: Notifier = {
      name: 'hook',
      async send(t) {
        await gate;
        await slow.notifier.send(t);
      },
    };
    const d = createAlertDispatcher({ notifiers: [gated], now: () => T0 });
    const one = d.dispatch([transition('disk:vps1', 'firing')]);
    const two = d.dispatch([transition('disk:vps1', 'firing')]);
    const three = d.dispatch([]);
    release();
    await Promise.all([one, two, three]);
    expect(slow.sent).toEqual(['firing disk:vps1']);
  });

  it('keeps at most maxPending sends per notifier, dropping the oldest and counting them', async () => {
    const mail = recorder('mail');
    mail.setDown(true);
    const d = createAlertDispatcher({ notifiers: [mail.notifier], now: () => T0, maxPending: 2 });
    await d.dispatch(['a', 'b', 'c'].map((k) => transition(k, 'firing')));
    expect(d.pending().map((p) => p.key)).toEqual(['b', 'c']);
    expect(d.dropped()).toEqual({ mail: 1 });
  });
});
