// The one place where wrapped secrets become plain values: the env list and the stdin handed to
// the Engine API. Adapters also take from here the secrets to redact from what the engine answers.
import { Secret } from '../util/secret.ts';

type EnvMap = Readonly<Record<string, string | Secret>>;

/** `KEY=value` entries for the Engine API's `Env`, secrets unwrapped. */
export function engineEnv(env: EnvMap): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v instanceof Secret ? v.reveal() : v}`);
}

/** The bytes for a command's stdin, a secret unwrapped. */
export function engineStdin(stdin: string | Buffer | Secret): string | Buffer {
  return stdin instanceof Secret ? stdin.reveal() : stdin;
}

/** The secrets among an env map and a stdin, to redact from error text. */
export function secretsIn(env: EnvMap | undefined, stdin?: unknown): Secret[] {
  return [...Object.values(env ?? {}), stdin].filter((v): v is Secret => v instanceof Secret);
}

/** The content of a file copied into a container (putArchive), a secret unwrapped. */
export function engineFile(content: string | Secret): string {
  return content instanceof Secret ? content.reveal() : content;
}

/** A request header written to a dialled stream (an HTTP probe's basic-auth credentials), a secret unwrapped. */
export function streamHeader(value: string | Secret): string {
  return value instanceof Secret ? value.reveal() : value;
}
