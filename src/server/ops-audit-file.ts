// The control plane's API audit log: one JSON line per entry in `audit.jsonl` in the serve data
// directory (created 0700, the file 0600). Appends are single writes with O_APPEND, so entries
// from concurrent requests never interleave; a torn last line (a crash mid-write) is skipped when
// read. Reading returns the newest `limit` entries, oldest first.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiAuditEntry } from './ops.ts';

export const AUDIT_FILE = 'audit.jsonl';
export const DEFAULT_AUDIT_LIMIT = 1000;

export class AuditFile {
  readonly path: string;
  #ready: Promise<unknown> | undefined;

  constructor(
    readonly dir: string,
    private readonly limit = DEFAULT_AUDIT_LIMIT,
  ) {
    this.path = join(dir, AUDIT_FILE);
  }

  async append(entry: ApiAuditEntry): Promise<void> {
    this.#ready ??= mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.#ready;
    await appendFile(this.path, `${JSON.stringify(entry)}\n`, { encoding: 'utf8', mode: 0o600, flag: 'a' });
  }

  async read(): Promise<ApiAuditEntry[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const entries: ApiAuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as ApiAuditEntry);
      } catch {
        // A line torn by a crash mid-append: skipped.
      }
    }
    return entries.slice(-this.limit);
  }
}
