import { describe, expect, it } from 'vitest';
import { LoginLimiter } from './login-limiter.ts';

const MIN = 60_000;

describe('LoginLimiter', () => {
  it('allows 5 failures per (ip, user), then refuses until the oldest leaves the 15-minute window', () => {
    let now = 0;
    const l = new LoginLimiter(() => now);
    for (let i = 0; i < 5; i++) {
      expect(l.check('1.2.3.4', 'alice')).toEqual({ ok: true });
      l.fail('1.2.3.4', 'alice');
      now += MIN;
    }
    // Failures at 0..4 min; now 5 min: the first leaves the window at 15 min.
    expect(l.check('1.2.3.4', 'alice')).toEqual({ ok: false, retryAfterS: 600 });
    expect(l.check('1.2.3.4', 'bob')).toEqual({ ok: true });
    expect(l.check('5.6.7.8', 'alice')).toEqual({ ok: true });
    now = 15 * MIN;
    expect(l.check('1.2.3.4', 'alice')).toEqual({ ok: true });
  });

  it('allows 20 failures per IP across user names', () => {
    const now = 0;
    const l = new LoginLimiter(() => now);
    for (let i = 0; i < 20; i++) {
      expect(l.check('1.2.3.4', `user${i}`).ok).toBe(true);
      l.fail('1.2.3.4', `user${i}`);
    }
    expect(l.check('1.2.3.4', 'someone-else')).toEqual({ ok: false, retryAfterS: 900 });
    expect(l.check('9.9.9.9', 'someone-else')).toEqual({ ok: true });
  });

  it('clears the (ip, user) failures after a success', () => {
    const now = 0;
    const l = new LoginLimiter(() => now);
    for (let i = 0; i < 4; i++) l.fail('1.2.3.4', 'alice');
    l.succeed('1.2.3.4', 'alice');
    for (let i = 0; i < 4; i++) l.fail('1.2.3.4', 'alice');
    expect(l.check('1.2.3.4', 'alice').ok).toBe(true);
  });
});
