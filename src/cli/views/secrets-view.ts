// Human views of `slipway secret set|rm|list|import|rekey`: names, scopes, servers and files, never a value.
import type { FileSecretResult, SecretRemoveResult, SecretRow, SecretSetResult } from '../../workflows/secrets.ts';
import type { SecretImportResult, SecretRekeyResult } from '../../workflows/secrets-file-import.ts';
import { table } from './table.ts';

const scope = (env: string | null) => (env ? ` (${env})` : '');
const recipients = (n: number) => `${n} recipient${n === 1 ? '' : 's'}`;

export function renderSecretSet(r: SecretSetResult | FileSecretResult): string {
  if (r.store === 'file')
    return `secret ${r.name}${scope(r.env)} set in ${r.file} (encrypted to ${recipients(r.recipients)}); commit it, it takes effect at the next deploy or up\n`;
  return `secret ${r.name}${scope(r.env)} set on ${r.servers.join(', ')}\n`;
}

export function renderSecretRemove(r: SecretRemoveResult | FileSecretResult | { store: 'file'; name: string; removed: false }): string {
  if (r.store === 'file') return 'file' in r ? `secret ${r.name}${scope(r.env)} removed from ${r.file}; commit it\n` : `secret ${r.name} was not set\n`;
  return r.removedFrom.length ? `secret ${r.name}${scope(r.env)} removed from ${r.removedFrom.join(', ')}\n` : `secret ${r.name} was not set\n`;
}

/** Server rows only: SERVER, SECRET, ENV. With file rows: STORE, WHERE (file or server), SECRET, ENV. */
export function renderSecretList(rows: readonly SecretRow[]): string {
  const env = (e: string | null) => e ?? '(all)';
  if (rows.every((r) => r.store === 'server'))
    return table(
      ['SERVER', 'SECRET', 'ENV'],
      rows.map((r) => [r.store === 'server' ? r.server : '', r.name, env(r.env)]),
    );
  return table(
    ['STORE', 'WHERE', 'SECRET', 'ENV'],
    rows.map((r) => [r.store, r.store === 'server' ? r.server : r.file, r.name, env(r.env)]),
  );
}

export function renderSecretImport(r: SecretImportResult): string {
  const into = r.store === 'file' ? `${r.file}${scope(r.env)}` : `${r.servers.join(', ')}${scope(r.env)}`;
  const lines = [
    `imported ${r.names.length} secret${r.names.length === 1 ? '' : 's'} from ${r.from} (${r.format}, MAC verified) into ${into}: ${r.names.join(', ')}`,
  ];
  if (r.skipped.length) lines.push(`skipped: ${r.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`);
  if (r.store === 'file') lines.push('commit it; it takes effect at the next deploy or up');
  return `${lines.join('\n')}\n`;
}

export function renderSecretRekey(r: SecretRekeyResult): string {
  if (r.files.length === 0) return 'no secrets file to re-encrypt\n';
  return r.files.map((f) => `${f.file} re-encrypted to ${recipients(f.recipients)}\n`).join('');
}
