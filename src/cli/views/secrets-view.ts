// Human views of `slipway secret set|rm|list`: names, scopes and servers, never a value.
import type { SecretRemoveResult, SecretRow, SecretSetResult } from '../../workflows/secrets.ts';
import { table } from './table.ts';

const scope = (env: string | null) => (env ? ` (${env})` : '');

export function renderSecretSet(r: SecretSetResult): string {
  return `secret ${r.name}${scope(r.env)} set on ${r.servers.join(', ')}\n`;
}

export function renderSecretRemove(r: SecretRemoveResult): string {
  return r.removedFrom.length ? `secret ${r.name}${scope(r.env)} removed from ${r.removedFrom.join(', ')}\n` : `secret ${r.name} was not set\n`;
}

export function renderSecretList(rows: readonly SecretRow[]): string {
  return table(
    ['SERVER', 'SECRET', 'ENV'],
    rows.map((r) => [r.server, r.name, r.env ?? '(all)']),
  );
}
