// Reads source files on demand (once each) so diagnostics can quote the offending line.
import { readFileSync } from 'node:fs';
import type { SourceLines } from './render-human.ts';

export function fileSourceReader(): (file: string) => SourceLines | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (file) => {
    if (!cache.has(file)) {
      try {
        cache.set(file, readFileSync(file, 'utf8').split(/\r?\n/));
      } catch {
        cache.set(file, undefined);
      }
    }
    const lines = cache.get(file);
    return lines && { lineText: (n: number) => lines[n - 1] ?? '' };
  };
}
