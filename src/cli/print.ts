// Output helpers shared by commands: JSON (stable, secrets redacted by Secret.toJSON) or text.
import type { CliContext } from './context.ts';

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printText(ctx: CliContext, text: string): void {
  ctx.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
