// The Authorization pattern of known basic-auth users: every credential of a listed user matches,
// no other user's does, whatever the password (random bytes, every length mod 3, non-ASCII names).
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { basicUserPrefix, basicUsersPattern } from './basic-auth-match.ts';

const header = (user: string, password: Buffer): string => `Basic ${Buffer.concat([Buffer.from(`${user}:`), password]).toString('base64')}`;

describe('basicUsersPattern', () => {
  const users = ['team', 'qa', 'a', 'ab', 'zoë', 'x+y/z'];
  const re = new RegExp(basicUsersPattern(users));

  it('matches every credential of a listed user, with any password', () => {
    for (const user of users)
      for (let n = 0; n < 64; n++) {
        const h = header(user, randomBytes(n));
        expect(re.test(h), h).toBe(true);
        expect(re.test(h.replace('Basic', 'bAsIc')), h).toBe(true);
      }
  });

  it('matches no other user, and nothing but one Basic value', () => {
    const others = ['tea', 'teams', 'Team', 'q', 'qa2', 'b', 'abc', 'zoe', 'x+y', '', 'team\0'];
    for (const user of others)
      for (let n = 0; n < 32; n++) {
        const h = header(user, randomBytes(n));
        expect(re.test(h), `${user}: ${h}`).toBe(false);
      }
    const ok = header('team', Buffer.from('pw'));
    for (const bad of [`${ok},${header('nobody', Buffer.from('x'))}`, `Bearer ${ok.slice(6)}`, `Basic  ${ok.slice(6)}`, `${ok} `, `x${ok}`]) {
      expect(re.test(bad), bad).toBe(false);
    }
  });

  it('spells out the partly fixed last character as a class', () => {
    // "team:" is 5 bytes: one full group (dGVh), then "m:" fixes two characters and 4 bits of a third.
    expect(basicUserPrefix('team')).toBe('dGVhbT[opqr]');
    expect(basicUserPrefix('qa')).toBe('cWE6');
  });
});
