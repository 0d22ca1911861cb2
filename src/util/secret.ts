// Secret: wraps a sensitive value so it redacts itself in logs, JSON, plans and errors.
// Only `reveal()` gives the value, and only code that hands it to an engine should call it.

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;
  constructor(
    value: string,
    readonly name = 'secret',
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
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
