// Secret: wraps a sensitive value so it redacts itself in logs, JSON, plans and errors
// (toString, toJSON and util.inspect never show it). Values stay wrapped from the state store to
// the engine adapter, which alone calls `reveal()` to hand them over (container env, exec env or
// stdin, the state store's file). Anything that must remove a value from text an engine sent back
// uses redactSecrets, which replaces whole tokens only; secrets shorter than MIN_SECRET_LENGTH are
// refused, because a short value cannot be told apart from ordinary words.
import { UserError } from '../diag/errors.ts';

export const REDACTED = '[redacted]';
/** Shortest value Slipway accepts for a secret: shorter ones would match ordinary words. */
export const MIN_SECRET_LENGTH = 8;

export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly name = 'secret',
  ) {
    this.#value = value;
  }

  /** A secret whose value is `parts` joined, e.g. a URL around a password; never unwrapped here. */
  static join(name: string, parts: readonly (string | Secret)[]): Secret {
    return new Secret(parts.map((p) => (p instanceof Secret ? p.#value : p)).join(''), name);
  }

  /** A secret whose value is `f` of this one (quoting, encoding), still wrapped. */
  map(f: (value: string) => string): Secret {
    return new Secret(f(this.#value), this.name);
  }

  /** The plain value. Only the hand-over to an engine (or the store on the server) calls this. */
  reveal(): string {
    return this.#value;
  }

  get empty(): boolean {
    return this.#value === '';
  }

  /** True when the value is long enough to be redacted without eating ordinary words. */
  get redactable(): boolean {
    return this.#value.length >= MIN_SECRET_LENGTH;
  }

  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${this.name})`;
  }
}

/**
 * Throws a UserError naming each secret (never its value) that is empty or shorter than
 * MIN_SECRET_LENGTH. `where` prefixes the message (e.g. the container); `envName` scopes the fix.
 */
export function requireRedactable(secrets: readonly Secret[], opts: { where?: string; envName?: string } = {}): void {
  const short = secrets.filter((s) => !s.redactable);
  if (short.length === 0) return;
  const names = [...new Set(short.map((s) => s.name))];
  const many = names.length > 1;
  throw new UserError(
    `${opts.where ? `${opts.where}: ` : ''}secret${many ? 's' : ''} ${names.join(', ')} ${many ? 'are' : 'is'} shorter than ${MIN_SECRET_LENGTH} characters: too short to keep out of logs and errors safely`,
    `give ${many ? 'each' : 'it'} a value of ${MIN_SECRET_LENGTH} characters or more: ${names
      .map((n) => `printf %s "$VALUE" | slipway secret set ${n}${opts.envName ? ` --env ${opts.envName}` : ''}`)
      .join('; ')}`,
  );
}

const isWordChar = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/**
 * Replaces each occurrence of a secret's value in `text` by `[redacted]`, where the occurrence is
 * a whole token: not glued to a letter or digit on either side (`:pw@`, `=pw`, `"pw"` are; `xpwx`
 * is not). Longest values first; values shorter than MIN_SECRET_LENGTH are never matched.
 */
export function redactSecrets(text: string, secrets: Iterable<Secret>): string {
  const values = [...new Set([...secrets].filter((s) => s.redactable).map((s) => s.reveal()))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const v of values) {
    let result = '';
    let from = 0;
    for (let at = out.indexOf(v); at >= 0; at = out.indexOf(v, at + 1)) {
      if (at < from) continue;
      const end = at + v.length;
      const startsToken = !isWordChar(v[0]) || !isWordChar(out[at - 1]);
      const endsToken = !isWordChar(v[v.length - 1]) || !isWordChar(out[end]);
      if (!startsToken || !endsToken) continue;
      result += out.slice(from, at) + REDACTED;
      from = end;
    }
    out = result + out.slice(from);
  }
  return out;
}
