// Login rate limit: failed attempts are counted in a sliding window (15 minutes by default), at
// most 5 per (client IP, user name) and 20 per IP. Over either limit, a login is refused before
// the password is checked, and the caller answers 429 with Retry-After. A success clears that
// (IP, user)'s failures. In memory, per process, with the injected clock.
export interface LoginLimits {
  windowMs: number;
  perUser: number;
  perIp: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, perUser: 5, perIp: 20 };

export type LimitCheck = { ok: true } | { ok: false; retryAfterS: number };

/** Above this many keys, stale ones are swept on the next failure (bounds memory under attack). */
const SWEEP_AT = 10_000;

export class LoginLimiter {
  readonly #byUser = new Map<string, number[]>();
  readonly #byIp = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  /** May (ip, user) try a password now? */
  check(ip: string, user: string): LimitCheck {
    const now = this.now();
    const waits = [this.#wait(this.#byUser, userKey(ip, user), this.limits.perUser, now), this.#wait(this.#byIp, ip, this.limits.perIp, now)].filter(
      (w) => w > 0,
    );
    return waits.length ? { ok: false, retryAfterS: Math.ceil(Math.max(...waits) / 1000) } : { ok: true };
  }

  fail(ip: string, user: string): void {
    const now = this.now();
    if (this.#byUser.size > SWEEP_AT || this.#byIp.size > SWEEP_AT) this.#sweep(now);
    push(this.#byUser, userKey(ip, user), now);
    push(this.#byIp, ip, now);
  }

  succeed(ip: string, user: string): void {
    this.#byUser.delete(userKey(ip, user));
  }

  /** Milliseconds until `key` is under `limit` again (0 when it is now). */
  #wait(map: Map<string, number[]>, key: string, limit: number, now: number): number {
    const recent = (map.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    if (recent.length) map.set(key, recent);
    else map.delete(key);
    if (recent.length < limit) return 0;
    // The window slides: the attempt that brings the count under the limit is the oldest one
    // that must leave it.
    return recent[recent.length - limit]! + this.limits.windowMs - now;
  }

  #sweep(now: number): void {
    for (const map of [this.#byUser, this.#byIp]) {
      for (const [key, times] of map) if (!times.some((t) => t > now - this.limits.windowMs)) map.delete(key);
    }
  }
}

function userKey(ip: string, user: string): string {
  return `${ip}\u0000${user}`;
}

function push(map: Map<string, number[]>, key: string, t: number): void {
  const list = map.get(key);
  if (list) list.push(t);
  else map.set(key, [t]);
}
